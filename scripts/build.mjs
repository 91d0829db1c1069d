// `npm run build`: the npm package's dist/ (scripts/bundle.mjs, buildDist):
//   ssm-materialize.bundle.cjs   the whole CLI in one CommonJS file
//   ssm-materialize.cjs          the bin: runs the bundle through its code cache (src/startup/launch.ts)
//   ssm-materialize-emulator.cjs the emulator (packages/emulator), loaded by `ssm-materialize emulator` only
//   library.cjs, library.mjs     the library (src/library.ts) for require and import; .d.cts/.d.mts their types
//   THIRD_PARTY_LICENSES         every package inside the bundle with its licence text
// A single file loads faster than the unbundled module graph
// (BENCHMARKS.md). Nothing here runs the tool: the build only bundles. A
// bundled package whose licence is not on the allow-list stops it
// (scripts/licenses.mjs).
import { join } from 'node:path';
import { buildDist } from './bundle.mjs';

await buildDist(join(import.meta.dirname, '..', 'dist'));
