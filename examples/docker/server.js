// A stand-in for the app: checks that its settings arrived (names only, never
// values) and shuts down cleanly on SIGTERM, as `docker stop` sends it.
const required = ['DB_PASSWORD', 'API_KEY'];
const missing = required.filter((name) => !process.env[name]);
if (missing.length > 0) {
  console.error(`missing settings: ${missing.join(', ')}`);
  process.exit(78);
}
process.on('SIGTERM', () => {
  console.log('SIGTERM: shutting down');
  process.exit(0);
});
// Only once the handler is in place: a stop that comes earlier would kill the app uncleanly.
console.log(`ready with ${required.length} settings`);
setInterval(() => {}, 1 << 30);
