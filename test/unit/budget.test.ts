/** The call budget arithmetic and its advice (pure). */
import { describe, expect, it } from 'vitest';
import {
  budgetOptions,
  callBudget,
  describeBudget,
  describeRollout,
  parseInterval,
  pollingCost,
  rollout,
  rolloutOptions,
  DEFAULT_HOOK_TIMEOUT_S,
} from '../../src/budget.js';
import { UsageError } from '../../src/errors.js';

const base = { fleet: 1, tps: 40, timeoutSeconds: 30, hookTimeoutSeconds: DEFAULT_HOOK_TIMEOUT_S };

describe('callBudget', () => {
  it('one host, 100 names: 10 calls, a floor of 0.25 s, no advice', () => {
    const b = callBudget({ GetParameters: 10, GetParametersByPath: 0 }, base);
    expect(b).toEqual({
      calls: 10,
      by_operation: { GetParameters: 10, GetParametersByPath: 0 },
      fleet: 1,
      tps: 40,
      fleet_calls: 10,
      min_seconds: 0.25,
      advice: [],
    });
  });

  it('the issue figures: 20 x 100 names at 40 TPS is a 5 s floor, 50 x 100 a 12.5 s floor', () => {
    expect(callBudget({ GetParameters: 10, GetParametersByPath: 0 }, { ...base, fleet: 20 }).min_seconds).toBe(5);
    expect(callBudget({ GetParameters: 10, GetParametersByPath: 0 }, { ...base, fleet: 50 }).min_seconds).toBe(12.5);
  });

  it('1,000 hosts with 50 names every 5 minutes: ~17 calls/s, ~42% of the default quota, with advice', () => {
    const b = callBudget({ GetParameters: 5, GetParametersByPath: 0 }, { ...base, fleet: 1000, everySeconds: 300 });
    expect(b.periodic).toEqual({ every_seconds: 300, calls_per_second: 16.667, quota_share: 0.417 });
    expect(b.advice.join('\n')).toContain('takes 42% of the quota all day, and deploys compete with it');
    // 5000 calls at a quarter of 40 TPS: every 500 s keeps it at 25%.
    expect(b.advice.join('\n')).toContain('every 500 s keeps it at 25%');
  });

  it('periodic use over the quota says every run will be throttled', () => {
    const b = callBudget({ GetParameters: 10, GetParametersByPath: 0 }, { ...base, fleet: 1000, everySeconds: 60 });
    expect(b.periodic?.quota_share).toBeGreaterThan(1);
    expect(b.advice.join('\n')).toContain('over the 40 TPS quota: every run will be throttled');
  });

  it('a fleet that needs longer than --timeout gets --timeout and --jitter advice', () => {
    const b = callBudget({ GetParameters: 10, GetParametersByPath: 0 }, { ...base, fleet: 200 });
    expect(b.min_seconds).toBe(50);
    expect(b.advice).toEqual([
      'hosts starting together need about 75 s, more than --timeout 30: pass --timeout 75 or more, or spread the starts with --jitter 50 (the wait does not count against --timeout)',
    ]);
  });

  it("a fleet that needs longer than the hook's timeout gets quota and batch advice, and a word on paths", () => {
    const b = callBudget({ GetParameters: 10, GetParametersByPath: 3 }, { ...base, fleet: 20_000, hookTimeoutSeconds: 600 });
    expect(b.min_seconds).toBe(6500);
    const advice = b.advice.join('\n');
    expect(advice).toContain("more than the deploy hook's 10 min");
    expect(advice).toContain('higher-throughput setting');
    expect(advice).toContain('GetParametersByPath stays near 100 TPS');
    // 600 s x 40 TPS / 13 calls / 1.5 margin = 1230 hosts per batch.
    expect(advice).toContain('batches of at most 1230 hosts');
  });

  it('describeBudget prints counts, the floor, the periodic share and each advice line; never more than the budget holds', () => {
    const text = describeBudget(callBudget({ GetParameters: 5, GetParametersByPath: 2 }, { ...base, fleet: 1000, everySeconds: 300 }));
    expect(text.split('\n')).toEqual([
      'call budget: 7 API calls per run (5 GetParameters, 2 GetParametersByPath)',
      '  fleet of 1000 hosts at 40 TPS: 7000 calls, at least 175 s',
      '  every 5 min on 1000 hosts: 23.333 calls/s, 58% of the quota',
      expect.stringMatching(/^ {2}advice: hosts starting together need about 262.5 s/),
      expect.stringMatching(/^ {2}advice: running every 5 min on 1000 hosts takes 58% of the quota/),
    ]);
  });
});

describe('parseInterval and budgetOptions', () => {
  it.each([
    ['300', 300],
    ['90s', 90],
    ['5m', 300],
    ['1.5h', 5400],
    ['1d', 86400],
  ])('%s is %d s', (text, seconds) => expect(parseInterval(text)).toBe(seconds));

  it.each(['', '5 minutes', '-5m', '0', 'm', '5x'])('%j is a usage error', (text) => {
    expect(() => parseInterval(text)).toThrow(UsageError);
  });

  it('bad --hosts (--fleet), --quota and --hook-timeout are reported together, exit 2', () => {
    let err: unknown;
    try {
      budgetOptions({ fleet: 0.5, tps: 0, 'hook-timeout': -1, timeout: 30 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as UsageError).message).toBe('--hosts must be a whole number of hosts >= 1; --quota must be > 0; --hook-timeout must be > 0');
  });
});

describe('rollout: how many hosts Run Command may refresh at once', () => {
  const options = { tps: 40, headroom: 0.25, runSeconds: 1, hosts: 200 };

  it('3 calls a host under 40 TPS less a quarter: 10 hosts at once, MaxErrors a wave, 20 waves', () => {
    expect(rollout(3, options)).toEqual({ calls_per_host: 3, rate_limit: 30, max_concurrency: 10, max_errors: 10, hosts: 200, waves: 20, wall_seconds: 20 });
  });

  it('the concurrency keeps the rate under the limit for any call count, and is at least 1', () => {
    for (const calls of [1, 2, 3, 7, 10, 29, 30, 31, 100, 1000]) {
      for (const headroom of [0, 0.1, 0.25, 0.5, 0.9]) {
        const r = rollout(calls, { ...options, headroom });
        expect(r.max_concurrency).toBeGreaterThanOrEqual(1);
        if (r.max_concurrency > 1) expect((r.max_concurrency * calls) / options.runSeconds).toBeLessThanOrEqual(40 * (1 - headroom) + 1e-9);
        // One more host at once would exceed it.
        expect(((r.max_concurrency + 1) * calls) / options.runSeconds).toBeGreaterThan(40 * (1 - headroom));
        expect(r.wall_seconds).toBeGreaterThanOrEqual((options.hosts * calls) / (40 * (1 - headroom)) - 1e-3);
      }
    }
  });

  it('a host that alone exceeds the rate: one at a time, and the wall time is the calls at the rate limit', () => {
    const r = rollout(100, options);
    expect([r.max_concurrency, r.waves]).toEqual([1, 200]);
    expect(r.wall_seconds).toBeCloseTo((200 * 100) / 30, 2);
  });

  it('bad rollout numbers are reported together', () => {
    expect(() => rolloutOptions({ tps: 0, headroom: 1, 'run-seconds': 0, hosts: 0 })).toThrow(
      '--headroom must be a share of the quota, 0 <= h < 1 (e.g. 0.25); --run-seconds must be > 0; --quota must be > 0; --hosts must be a whole number of hosts >= 1',
    );
  });

  it('describes itself in two lines', () => {
    expect(describeRollout(rollout(3, options))).toBe(
      'fleet refresh: at most 10 hosts at once (MaxConcurrency), MaxErrors 10, keeps 3 calls per host under 30 calls/s\n  200 hosts in 20 waves: about 20 s',
    );
  });
});

describe('pollingCost (plan --every and exec --refresh-every)', () => {
  it('is what plan reports for the same fleet: calls/s, quota share and the same advice', () => {
    const cost = pollingCost(7, { hosts: 1000, tps: 40, everySeconds: 300 });
    const b = callBudget({ GetParameters: 5, GetParametersByPath: 2 }, { ...base, fleet: 1000, everySeconds: 300, timeoutSeconds: 3600 });
    expect(cost.periodic).toEqual(b.periodic);
    expect(b.advice).toContain(cost.advice);
    expect(cost.advice).toContain('(23.333 calls/s against 40 TPS)');
  });

  it('over the quota, over a quarter of it, and fitting', () => {
    expect(pollingCost(1, { hosts: 2000, tps: 40, everySeconds: 30 })).toEqual({
      periodic: { every_seconds: 30, calls_per_second: 66.667, quota_share: 1.667 },
      advice:
        'running every 30 s on 2000 hosts needs 66.667 calls/s, over the 40 TPS quota: every run will be throttled and deploys will stall; run less often or raise the quota',
    });
    expect(pollingCost(1, { hosts: 400, tps: 40, everySeconds: 30 }).advice).toMatch(/^running every 30 s on 400 hosts takes 33% of the quota all day/);
    expect(pollingCost(1, { hosts: 100, tps: 40, everySeconds: 30 })).toEqual({ periodic: { every_seconds: 30, calls_per_second: 3.333, quota_share: 0.083 } });
  });
});
