/** The pacing logic on a hand-driven clock: no timers, no elapsed-time assertions. */
import { describe, expect, it } from 'vitest';
import { AdaptiveRate, MIN_RATE, decorrelatedJitter, RETRY_BACKOFF } from '../../src/aws/pacing.js';
import { FUZZ_SEED, prng } from '../reliability/figures.js';

function clock(start = 1000) {
  const c = { t: start, now: () => c.t };
  return c;
}

/** Send `count` calls `gapMs` apart. */
function sendEvery(rate: AdaptiveRate, c: { t: number }, count: number, gapMs: number): void {
  for (let i = 0; i < count; i++) {
    expect(rate.trySend()).toBe(0);
    c.t += gapMs;
  }
}

describe('AdaptiveRate', () => {
  it('sends at once while the store has never throttled', () => {
    const rate = new AdaptiveRate(clock());
    expect(Array.from({ length: 20 }, () => rate.trySend())).toEqual(Array(20).fill(0));
    expect(rate.callsPerSecond).toBeUndefined();
  });

  it('a first throttling answer sets 0.7x the measured send rate; the next send waits 1/rate after the last one', () => {
    const c = clock();
    const rate = new AdaptiveRate(c);
    sendEvery(rate, c, 10, 50); // 10 sends over 500 ms: 20 calls per second
    rate.throttled(c.t - 10);
    expect(rate.callsPerSecond).toBeCloseTo(14, 5);
    // The last send was 50 ms ago; at 14/s the next may go 1000/14 ms after it.
    const wait = rate.trySend();
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeCloseTo(1000 / 14 - 50, 0);
    c.t += wait;
    expect(rate.trySend()).toBe(0);
    // And the one after that waits again.
    expect(rate.trySend()).toBeGreaterThan(0);
  });

  it('a burst at start-up does not read as a huge rate (the window is at least 250 ms)', () => {
    const c = clock();
    const rate = new AdaptiveRate(c);
    for (let i = 0; i < 4; i++) rate.trySend();
    c.t += 5;
    rate.throttled(c.t - 5);
    expect(rate.callsPerSecond).toBeCloseTo(0.7 * (4 / 0.25), 5);
  });

  it('answers to calls sent before the last cut, or within 500 ms of it, do not cut again; a later one does', () => {
    const c = clock();
    const rate = new AdaptiveRate(c);
    sendEvery(rate, c, 8, 25);
    rate.throttled(c.t - 10);
    const afterFirstCut = rate.callsPerSecond!;
    const cutAt = c.t;
    c.t += 10;
    rate.throttled(cutAt - 5); // sent before the cut
    rate.throttled(cutAt + 5); // sent after it, but too soon
    expect(rate.callsPerSecond!).toBeLessThan(afterFirstCut * 1.01);
    c.t = cutAt + 600;
    const before = rate.callsPerSecond!;
    rate.throttled(c.t - 20);
    expect(rate.callsPerSecond).toBeCloseTo(before * 0.7, 5);
  });

  it('never goes below the minimum rate', () => {
    const c = clock();
    const rate = new AdaptiveRate(c);
    rate.trySend();
    for (let i = 0; i < 50; i++) {
      c.t += 600;
      rate.throttled(c.t);
    }
    expect(rate.callsPerSecond).toBeGreaterThanOrEqual(MIN_RATE);
    expect(rate.callsPerSecond).toBeLessThan(MIN_RATE * 1.5);
  });

  it('grows back with time along the cubic curve: at the last good rate after K seconds, then beyond it, never down', () => {
    const c = clock();
    const rate = new AdaptiveRate(c);
    sendEvery(rate, c, 40, 25); // 40 per second
    rate.throttled(c.t);
    const lastMax = rate.callsPerSecond! / 0.7;
    expect(lastMax).toBeCloseTo(40, 5);
    const k = Math.cbrt((lastMax * 0.3) / 0.4);
    const cutAt = c.t;
    const seen: number[] = [];
    for (let ms = 250; ms <= 6000; ms += 250) {
      c.t = cutAt + ms;
      seen.push(rate.callsPerSecond!);
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
    c.t = cutAt + k * 1000;
    expect(rate.callsPerSecond).toBeCloseTo(lastMax, 5);
    expect(seen.at(-1)!).toBeGreaterThan(lastMax);
  });

  it('a host waiting for a slot gets it sooner as the rate grows (slots are not booked ahead at the old rate)', () => {
    const c = clock();
    const rate = new AdaptiveRate(c);
    rate.trySend();
    for (let i = 0; i < 6; i++) {
      c.t += 600;
      rate.throttled(c.t);
    }
    expect(rate.trySend()).toBe(0);
    const firstWait = rate.trySend();
    c.t += 3000;
    // 3 s later the slowest rate allows a send at once.
    expect(rate.trySend()).toBe(0);
    expect(firstWait).toBeGreaterThan(0);
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
    expect(waits.filter((w) => w === RETRY_BACKOFF.capMs).length).toBeGreaterThan(0);
    expect(waits.filter((w) => w < RETRY_BACKOFF.capMs).length).toBeGreaterThan(50);
  });

  it('the extremes of the random draw give exactly the base and the bound', () => {
    expect(decorrelatedJitter(100, { baseMs: 50, capMs: 2000 }, () => 0)).toBe(50);
    expect(decorrelatedJitter(100, { baseMs: 50, capMs: 2000 }, () => 1)).toBe(300);
    expect(decorrelatedJitter(1000, { baseMs: 50, capMs: 2000 }, () => 1)).toBe(2000);
  });
});
