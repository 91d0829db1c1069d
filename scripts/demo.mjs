// The no-AWS demo: start the emulator seeded from examples/seed.yaml,
// materialize examples/materialize.yaml into a fresh private directory, show
// the summary and the files' permissions, then run again to show that
// unchanged outputs are left alone.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, chmodSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulatorProcess } from './emulator-process.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'ssm-materialize.cjs');
const outDir = mkdtempSync(join(tmpdir(), 'ssm-materialize-demo-'));
chmodSync(outDir, 0o700);

const emulator = await startEmulatorProcess(cli, join(root, 'examples', 'seed.yaml'));
const url = emulator.url;

const env = {
  ...process.env,
  STAGE: 'prod',
  OUT_DIR: outDir,
  AWS_ACCESS_KEY_ID: 'AKIAEMULATORDEMO',
  AWS_SECRET_ACCESS_KEY: 'emulator-demo-secret',
  AWS_REGION: 'us-east-1',
  AWS_ENDPOINT_URL_SSM: url,
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  // The emulator is on loopback: a developer's HTTPS_PROXY/HTTP_PROXY must not take its calls (both spellings; lower case wins).
  NO_PROXY: '127.0.0.1,localhost',
  no_proxy: '127.0.0.1,localhost',
};
const run = (title, args) => {
  console.log(`\n$ ${title}`);
  return spawnSync(process.execPath, [cli, ...args], { env, stdio: 'inherit' }).status;
};

let status = 0;
try {
  console.log(`emulator: ${url}   output directory: ${outDir}`);
  status ||= run('ssm-materialize write -m examples/materialize.yaml', ['write', '-m', join(root, 'examples', 'materialize.yaml')]);
  console.log(`\n$ ls -l ${outDir}`);
  for (const name of readdirSync(outDir).sort()) {
    const st = statSync(join(outDir, name));
    console.log(
      `${(st.mode & 0o777).toString(8).padStart(4, '0')}  ${String(st.uid).padStart(5)}:${String(st.gid).padEnd(5)} ${String(st.size).padStart(6)}  ${name}`,
    );
  }
  status ||= run('ssm-materialize write -m examples/materialize.yaml   # again: nothing changed', ['write', '-m', join(root, 'examples', 'materialize.yaml')]);
  console.log(`\nLook at the files: ls -l ${outDir}; cat ${join(outDir, 'app.env')}`);
} finally {
  emulator.stop();
}
process.exitCode = status;
