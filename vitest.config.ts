import { defineConfig } from 'vitest/config';
import { LongestFirst } from './test/helpers/sequencer.js';

/**
 * Most files share a worker's module graph (isolate: false) instead of
 * importing the SDK, yargs, yaml and the emulator again for each file. They
 * leave no process-wide state behind: what they change in process.env, the
 * umask or fake timers they restore, and they do not use vi.mock. The rest
 * get a fresh module graph: fs-attacks mocks node:crypto; store/ sets
 * credentials in process.env for the whole file.
 */
const ISOLATED = ['test/reliability/fs-attacks.test.ts', 'test/store/**/*.test.ts'];

export default defineConfig({
  test: {
    // Generous on purpose: CI machines are shared and slow. A timeout is a
    // safety net against hangs, never a speed check (speed lives in bench/).
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Spawned CLIs and emulators compete for 2 cores; keep parallelism modest.
    maxWorkers: 2,
    // So that the two workers finish together (test/helpers/sequencer.ts).
    sequence: { sequencer: LongestFirst },
    // The JSON report lets .ci/run print a plain "N passed, N failed" closing line;
    // the run on Node 22 (npm run test:node22) names a report of its own.
    reporters: ['default', ['json', { outputFile: process.env.SSM_MATERIALIZE_TEST_REPORT ?? '.tmp/test-results.json' }]],
    // A scratch directory for the whole run, removed at its end (what outlives one test file in a shared worker).
    globalSetup: ['test/helpers/global-setup.ts'],
    projects: [
      // With the emulator package's own tests and its conformance suite (`npm test -w @ssm-materialize/emulator` runs those alone).
      // test/helpers/env-guard.ts fails a shared file that leaves process.env changed.
      {
        extends: true,
        test: {
          name: 'shared',
          include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
          exclude: ISOLATED,
          isolate: false,
          setupFiles: ['test/helpers/env-guard.ts'],
        },
      },
      { extends: true, test: { name: 'isolated', include: ISOLATED } },
    ],
  },
});
