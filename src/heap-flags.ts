/** The one V8 flag the tool sets on itself (src/bin.ts). */

/**
 * Peak memory. V8 doubles the young generation each time most of it survives
 * a collection, which is what a fetch does (responses live until rendered):
 * 1,000 names grew it to 16 MB for ~2 MB of live data. A growth factor of 1
 * keeps the initial size: about 11 MiB less peak RSS for 1,000 names, no
 * measurable time (BENCHMARKS.md). V8 reads this sizing policy whenever it
 * considers growing, so setting it at start, not on the command line, works.
 */
export const YOUNG_GENERATION_FLAG = '--semi-space-growth-factor=1';
