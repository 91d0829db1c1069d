/** The V8 flags the tool sets on itself (src/bin.ts); the emulator command turns the optimizing compilers back on. */

/**
 * Peak memory. V8 doubles the young generation each time most of it survives
 * a collection, which is what a fetch does (responses live until rendered),
 * so a large fetch grew it far beyond its live data. A growth factor of 1
 * keeps the initial size: less peak RSS for the same time (BENCHMARKS.md,
 * "How to read this"). V8 reads this sizing policy whenever it
 * considers growing, so setting it at start, not on the command line, works.
 */
export const YOUNG_GENERATION_FLAG = '--semi-space-growth-factor=1';

/**
 * CPU and peak memory. A run lives for a second or so, too short for
 * optimized code to pay back its making: Maglev and TurboFan compile hot
 * functions on background threads, in memory of their own, and the run ends
 * before the result saves what it cost. The interpreter and the baseline
 * compiler (Sparkplug, which stays on) do the work for less CPU and less
 * peak memory (with and without: BENCHMARKS.md). V8 checks these flags each
 * time it would tier a function up, so setting them at start works;
 * `--lite-mode` would not (its implications apply only on the command line).
 */
export const NO_OPTIMIZING_COMPILER_FLAGS = ['--no-maglev', '--no-turbofan'] as const;

/** Every flag the tool sets on itself, in order: the npm bin sets them before compiling (its code caches are made under them), src/bin.ts again; the executable starts with EXECUTABLE_V8_FLAGS instead. */
export const TOOL_V8_FLAGS = [YOUNG_GENERATION_FLAG, ...NO_OPTIMIZING_COMPILER_FLAGS] as const;

/**
 * The young generation's cap, for a start that sets it on the command line: there
 * YOUNG_GENERATION_FLAG does not hold the young generation at its first size (a 1,000-name
 * write peaked about 10 MiB higher, with more CPU), and a cap at that size (1 MiB semi-spaces)
 * does, peaking no higher than YOUNG_GENERATION_FLAG set at run time.
 */
export const YOUNG_GENERATION_CAP_FLAG = '--max-semi-space-size=1';

/**
 * The flags the standalone executable starts with (its execArgv, scripts/release.mjs), so that
 * nothing in it loads node:v8 to set flags: loading node:v8 loads Node's whole stream machinery
 * with it (its heap-snapshot streams), a visible share of a short run (BENCHMARKS.md).
 */
export const EXECUTABLE_V8_FLAGS = [...NO_OPTIMIZING_COMPILER_FLAGS, YOUNG_GENERATION_CAP_FLAG] as const;

/** Whether this process started with the executable's flags: then src/bin.ts sets none at run time. */
export const startedWithExecutableFlags = (): boolean => EXECUTABLE_V8_FLAGS.every((flag) => process.execArgv.includes(flag));

/** The emulator is a server that runs for minutes: there optimized code pays. */
export const OPTIMIZING_COMPILER_FLAGS = ['--maglev', '--turbofan'] as const;
