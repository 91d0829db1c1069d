/**
 * The failure decision (src/trust/failures.ts) over every combination of
 * failures: a missing or denied parameter always stops the run (3 or 4);
 * fallback and last-good only when every failure is "unavailable".
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AccessDeniedError, ExitCode, MissingParametersError, StoreUnavailableError, ToolError, UsageError } from '../../src/errors.js';
import { decideFailures, type Failure, type FailureKind } from '../../src/trust/failures.js';

const KINDS: readonly FailureKind[] = ['missing', 'denied', 'unavailable', 'other'];
const REGIONS = [undefined, 'us-east-1', 'us-west-2'] as const;

function failure(kind: FailureKind, region: string | undefined, n: number): Failure {
  const name = `/app/p${n}`;
  const error: ToolError =
    kind === 'missing'
      ? new MissingParametersError([name])
      : kind === 'denied'
        ? new AccessDeniedError(`AccessDeniedException during GetParameters for ${name}`, [name])
        : kind === 'unavailable'
          ? new StoreUnavailableError(`Parameter Store unavailable during GetParametersByPath for ${name}`)
          : n % 2
            ? new UsageError(`GetParameters rejected ${name}`)
            : new ToolError('no_value', ExitCode.output, `the store answered ${name} without a value`);
  return { kind, region, error };
}

const failures = fc
  .array(
    fc.tuple(fc.constantFrom(...KINDS), fc.constantFrom(...REGIONS)).map(([kind, region]) => ({ kind, region })),
    { maxLength: 12 },
  )
  .map((list) => list.map((f, i) => failure(f.kind, f.region, i)));
const options = fc.record({ nextRegion: fc.constantFrom(undefined, 'us-west-2', 'eu-west-1'), keepLastGood: fc.boolean() });

describe('decideFailures', () => {
  it('any set with a denied parameter stops with exit 4; with a missing one (none denied) with exit 3', () => {
    fc.assert(
      fc.property(failures, options, (set, opts) => {
        const d = decideFailures(set, opts);
        if (set.some((f) => f.kind === 'denied')) expect(d).toMatchObject({ action: 'stop', exitCode: ExitCode.accessDenied });
        else if (set.some((f) => f.kind === 'missing')) expect(d).toMatchObject({ action: 'stop', exitCode: ExitCode.missing });
      }),
      { numRuns: 2000 },
    );
  });

  it('fallback and last-good only when every failure is unavailable, in that order; else a stop', () => {
    fc.assert(
      fc.property(failures, options, (set, opts) => {
        const d = decideFailures(set, opts);
        const allUnavailable = set.length > 0 && set.every((f) => f.kind === 'unavailable');
        if (set.length === 0) expect(d).toEqual({ action: 'proceed' });
        else if (!allUnavailable) expect(d.action).toBe('stop');
        else if (opts.nextRegion !== undefined) expect(d).toMatchObject({ action: 'fallback', to: opts.nextRegion });
        else if (opts.keepLastGood) expect(d.action).toBe('keep-last-good');
        else expect(d).toMatchObject({ action: 'stop', exitCode: ExitCode.unavailable });
      }),
      { numRuns: 2000 },
    );
  });

  it('a stop names every failure of the set, each parameter once, the decisive ones first', () => {
    fc.assert(
      fc.property(failures, options, (set, opts) => {
        const d = decideFailures(set, opts);
        if (d.action !== 'stop') return;
        expect(d.exitCode).toBe(d.error.exitCode);
        set.forEach((_, i) => expect(d.error.message).toContain(`/app/p${i}`));
        const missing = set.filter((f) => f.kind === 'missing');
        if (d.exitCode === ExitCode.missing && missing.length) expect(d.error.message.startsWith(`${missing.length} required parameter`)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('every combination of kinds, regions and options (exhaustive)', () => {
    const subsets = Array.from({ length: 1 << KINDS.length }, (_, mask) => KINDS.filter((_, i) => mask & (1 << i)));
    let checked = 0;
    for (const kinds of subsets) {
      for (const region of REGIONS) {
        for (const nextRegion of [undefined, 'us-west-2']) {
          for (const keepLastGood of [false, true]) {
            const d = decideFailures(
              kinds.map((k, i) => failure(k, region, i)),
              { nextRegion, keepLastGood },
            );
            const expected =
              kinds.length === 0
                ? 'proceed'
                : kinds.some((k) => k !== 'unavailable')
                  ? 'stop'
                  : nextRegion
                    ? 'fallback'
                    : keepLastGood
                      ? 'keep-last-good'
                      : 'stop';
            expect(d.action, `${kinds.join('+')} next=${nextRegion} keep=${keepLastGood}`).toBe(expected);
            const code = kinds.includes('denied') ? 4 : kinds.includes('missing') ? 3 : kinds.includes('other') ? undefined : 5;
            if (d.action === 'stop' && code !== undefined) expect(d.exitCode).toBe(code);
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(16 * 3 * 2 * 2);
  });
});
