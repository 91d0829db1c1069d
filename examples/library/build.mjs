// A build step that puts the build's secrets into files before the bundler
// runs, e.g. in package.json:  "prebuild": "node scripts/materialize.mjs"
//
//   node build.mjs             write generated/ (only what changed is replaced)
//   node build.mjs --dry-run   say what would change, write nothing
//
// Every file is written atomically and 0600 from creation; when anything
// fails (a missing parameter, access denied) nothing is written, and the
// error names parameters and keys, never a value.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { materialize, plan, ToolError } from 'ssm-materialize';

// The manifest beside this script; its relative paths are anchored there too.
const manifest = join(import.meta.dirname, 'materialize.yaml');
// The writer refuses a missing directory, and one that others may write to.
mkdirSync(join(import.meta.dirname, 'generated'), { recursive: true, mode: 0o700 });

try {
  if (process.argv.includes('--dry-run')) {
    const { outputs, wouldChange } = await plan({ manifest });
    for (const o of outputs) {
      const keys = [...o.added.map((k) => `+${k}`), ...o.changed.map((k) => `~${k}`), ...o.removed.map((k) => `-${k}`)];
      console.log(`${o.wouldChange ? 'would write' : 'up to date '} ${o.path}${keys.length ? ` (${keys.join(' ')})` : ''}`);
    }
    console.log(`${wouldChange} of ${outputs.length} outputs would change`);
  } else {
    // Silent unless asked: show the warnings (e.g. a fallback to another region) in the build log.
    const { outputs } = await materialize({ manifest, onLog: (e) => e.level === 'warn' && console.warn(e.message) });
    for (const o of outputs) console.log(`${o.changed ? 'wrote    ' : 'unchanged'} ${o.path} (${o.keys} keys)`);
  }
} catch (err) {
  if (!(err instanceof ToolError)) throw err;
  console.error(`materialize: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}`);
  // The CLI's exit codes: 3 missing, 4 denied, 5 unavailable, 6 an output... (docs/library.md)
  process.exitCode = err.exitCode;
}
