import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
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
  },
});
