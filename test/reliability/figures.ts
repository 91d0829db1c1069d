/**
 * Figures for RELIABILITY.md: every reliability test records what it tried
 * (kills survived, fault cells, fuzz cases, leaks found). They are printed,
 * and appended as JSON lines to $RELIABILITY_FIGURES when it is set, so one
 * command run can produce the table:
 *
 *   RELIABILITY_FIGURES=/tmp/figures.jsonl npx vitest run test/reliability
 */
import { appendFileSync } from 'node:fs';
import { mulberry32 } from '@ssm-materialize/emulator/testing';

export function recordFigure(suite: string, name: string, value: number | string): void {
  const line = JSON.stringify({ suite, name, value });
  const file = process.env.RELIABILITY_FIGURES;
  if (file) appendFileSync(file, line + '\n');
  console.log(`[reliability] ${suite}: ${name} = ${value}`);
}

/** Fixed seed for CI; FUZZ_SEED to explore, FUZZ_RUNS to try more (never fewer) cases per property. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 424_242);
export function fuzzRuns(ciDefault: number): number {
  const asked = Number(process.env.FUZZ_RUNS ?? 0);
  return Number.isFinite(asked) && asked > ciDefault ? asked : ciDefault;
}

/** Seeded PRNG (mulberry32): the same kill schedule on every CI run. */
export const prng = mulberry32;

/** In CI the root-only tests must run; elsewhere they may be skipped. */
export const isRoot = process.getuid?.() === 0;
export const mustRunAsRoot = Boolean(process.env.CI);
