/** The pacing logic on a hand-driven clock: no timers, no elapsed-time assertions. */
import { describe, expect, it } from 'vitest';
import { AdaptiveRate, MIN_RATE, decorrelatedJitter, RETRY_BACKOFF } from '../../src/pacing.js';
import { FUZZ_SEED, prng } from '../reliability/figures.js';

function clock(start = 1000) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe('AdaptiveRate', () => {
  it('sends at once while the store has never throttled', () => {
    const rate = new AdaptiveRate(clock());
    expect(Array.from({ length: 20 }, () => rate.reserve())).toEqual(Array(20).fill(0));
    expect(rate.callsPerSecond).toBeUndefined();
  });

  it('a first throttling answer sets 0.7x the measured send rate, and spaces the next sends 1/rate apart', () => {
    const c = clock();
    const rate = new AdaptiveRate(c);
    // 10 sends over 500 ms: 20 calls per second.
    for (let i = 0; i < 10; i++) {
      rate.reserve();
      c.t += 50;
    }
    rate.throttled(c.t - 10);
    expect(rate.callsPerSecond).toBeCloseTo(14, 5);
    const waits = Array.from({ length: 3 }, () => rate.reserve());
    const gap = 1000 / 14;
    expect(waits[0]).toBeCloseTo(gap, 5);
    expect(waits[1]).toBeCloseTo(2 * gap, 5);
    expect(waits[2]).toBeCloseTo(3 * gap, 5);
  });

  it('a burst at start-up does not read as a huge rate (the window is at least 250 ms)', () => {
    const c = clock();
    const rate = new AdaptiveRate(c);
    for (let i = 0; i < 4; i++) rate.reserve();
    c.t += 5;
    rate.throttled(c.t - 5);
    expect(rate.callsPerSecond).toBeCloseTo(0.7 * (4 / 0.25), 5);
  });

  it('answers to calls sent before the last cut do not cut again; a call sent after it does', () => {
    const c = clock();
    const rate = new AdaptiveRate(c);
    for (let i = 0; i < 8; i++) rate.reserve();
    const sentBefore = c.t;
    c.t += 100;
    rate.throttled(sentBefore);
    const afterFirstCut = rate.callsPerSecond!;
    c.t += 10;
    rate.throttled(sentBefore);
    rate.throttled(sentBefore + 50);
    expect(rate.callsPerSecond).toBe(afterFirstCut);
    c.t += 100;
    rate.throttled(c.t - 20);
    expect(rate.callsPerSecond).toBeCloseTo(afterFirstCut * 0.7, 5);
  });

  it('never goes below the minimum rate', () => {
    const c = clock();
    const rate = new AdaptiveRate(c);
    rate.reserve();
    for (let i = 0; i < 50; i++) {
      c.t += 10;
      rate.throttled(c.t);
    }
    expect(rate.callsPerSecond).toBe(MIN_RATE);
  });

  it('grows back along the cubic curve: near the last good rate after K seconds, then beyond it, never down', () => {
    const c = clock();
    const rate = new AdaptiveRate(c);
    for (let i = 0; i < 40; i++) {
      rate.reserve();
      c.t += 25;
    }
    rate.throttled(c.t);
    const lastMax = rate.callsPerSecond! / 0.7;
    const k = Math.cbrt((lastMax * 0.3) / 0.4);
    const seen: number[] = [];
    for (let ms = 0; ms <= 6000; ms += 250) {
      c.t += 250;
      rate.succeeded();
      seen.push(rate.callsPerSecond!);
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
    // At t = K the curve is back at the rate of the last cut.
    const atK = seen[Math.round((k * 1000) / 250) - 1]!;
    expect(Math.abs(atK - lastMax) / lastMax).toBeLessThan(0.05);
    expect(seen.at(-1)!).toBeGreaterThan(lastMax);
  });
});

describe('decorrelatedJitter', () => {
  it('stays between the base and min(cap, 3x the previous wait), reaching the cap without sticking to it', () => {
    const random = prng(FUZZ_SEED);
    let previous = 0;
    const waits: number[] = [];
    for (let i = 0; i < 200; i++) {
      const wait = decorrelatedJitter(previous, RETRY_BACKOFF, random);
      expect(wait).toBeGreaterThanOrEqual(RETRY_BACKOFF.baseMs);
      expect(wait).toBeLessThanOrEqual(Math.min(RETRY_BACKOFF.capMs, Math.max(RETRY_BACKOFF.baseMs, previous * 3)));
      waits.push(wait);
      previous = wait;
    }
    // It reaches the cap and does not stay stuck at it.
    expect(waits.filter((w) => w === RETRY_BACKOFF.capMs).length).toBeGreaterThan(0);
    expect(waits.filter((w) => w < RETRY_BACKOFF.capMs).length).toBeGreaterThan(100);
  });

  it('the extremes of the random draw give exactly the base and the bound', () => {
    expect(decorrelatedJitter(100, { baseMs: 50, capMs: 2000 }, () => 0)).toBe(50);
    expect(decorrelatedJitter(100, { baseMs: 50, capMs: 2000 }, () => 1)).toBe(300);
    expect(decorrelatedJitter(1000, { baseMs: 50, capMs: 2000 }, () => 1)).toBe(2000);
  });
});
