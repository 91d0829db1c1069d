/**
 * Makes the V8 code cache the standalone executable embeds for one of its
 * parts (src/startup/parts.ts), at release time (scripts/release.mjs
 * bundles this file and runs it under each executable's own Node: the
 * arm64 one under qemu). A cache is accepted only under the Node, CPU kind
 * and V8 flags it was made with, and for a source of the same length: so
 * the part is compiled here in the very wrapper parts.ts compiles it in,
 * under the V8 flags the executable starts with, given the same way: on the
 * command line (the executable's execArgv). The same flags set later, by
 * v8.setFlagsFromString, leave V8 with another flag hash, and it would
 * reject the cache.
 *
 *   node FLAGS make-code-cache.cjs PART OUT             compile PART, run its top level, write the cache to OUT
 *   node FLAGS make-code-cache.cjs PART OUT -- ARGS...  run PART as the tool with ARGS (a `validate`, offline),
 *                                                   and write the cache when it exits with 0: it then also
 *                                                   holds every function that run compiled
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Script } from 'node:vm';
import { EXECUTABLE_V8_FLAGS, startedWithExecutableFlags } from '../src/startup/heap-flags.js';
import { commonJsWrapper, runCommonJs } from '../src/startup/parts.js';

const [part, out, separator, ...args] = process.argv.slice(2);
if (!part || !out || (separator !== undefined && separator !== '--')) throw new Error('usage: make-code-cache PART OUT [-- ARGS...]');
if (!startedWithExecutableFlags()) throw new Error(`make-code-cache: start it with the executable's V8 flags: node ${EXECUTABLE_V8_FLAGS.join(' ')} ...`);
const script = new Script(commonJsWrapper(readFileSync(part, 'latin1')), { filename: part, lineOffset: -1 });
const save = (): void => writeFileSync(out, script.createCachedData());
if (separator === undefined) {
  runCommonJs(script, part, createRequire(part));
  save();
} else {
  // The tool reads its arguments from process.argv, after node and the script.
  process.argv.splice(2, process.argv.length - 2, ...args);
  process.once('exit', (code) => {
    if (code === 0) save();
    else process.stderr.write(`make-code-cache: the training run exited with ${code}; no cache written\n`);
  });
  runCommonJs(script, process.execPath, createRequire(part));
}
