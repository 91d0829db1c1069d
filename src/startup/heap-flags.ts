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

/** Every flag the tool sets on itself, in order: the npm bin sets them before compiling (its code caches are made under them), src/bin.ts again; the executable starts with them. */
export const TOOL_V8_FLAGS = [YOUNG_GENERATION_FLAG, ...NO_OPTIMIZING_COMPILER_FLAGS] as const;

/**
 * Whether this process started with every one of the tool's flags (the executable's execArgv,
 * scripts/release.mjs). Then nothing need load node:v8 to set them: loading it loads Node's whole
 * stream machinery with it (its heap-snapshot streams), a visible share of a short run.
 */
export const toolFlagsGiven = (): boolean => TOOL_V8_FLAGS.every((flag) => process.execArgv.includes(flag));

/** The emulator is a server that runs for minutes: there optimized code pays. */
export const OPTIMIZING_COMPILER_FLAGS = ['--maglev', '--turbofan'] as const;
