import { defineConfig } from 'vitest/config';

/**
 * Files that run the code in this process only (no vi.mock, no process-wide
 * state left behind: what they change in process.env, the umask or fake
 * timers they restore) share a worker's module graph instead of importing
 * the SDK, yargs and yaml again for each file. Every other file keeps a
 * fresh one: reliability (vi.mock of node:crypto, emulators and child
 * processes per file), store (credentials set in process.env for the file),
 * e2e (signal handlers), integrations, release, conformance.
 */
const SHARED_MODULES = ['test/unit/**/*.test.ts', 'test/formats/**/*.test.ts', 'test/commands/**/*.test.ts', 'test/emulator/**/*.test.ts'];

export default defineConfig({
  test: {
    // Generous on purpose: CI machines are shared and slow. A timeout is a
    // safety net against hangs, never a speed check (speed lives in bench/).
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Spawned CLIs and emulators compete for 2 cores; keep parallelism modest.
    maxWorkers: 2,
    // The JSON report lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ['default', ['json', { outputFile: '.tmp/test-results.json' }]],
    // The SDK warns about Node 20 at every client; tests that use it in-process need no reminder.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      { extends: true, test: { name: 'in-process', include: SHARED_MODULES, isolate: false } },
      { extends: true, test: { name: 'isolated', include: ['test/**/*.test.ts'], exclude: SHARED_MODULES } },
    ],
  },
});
