/**
 * How one process shares the account's API quota with every other host of a
 * fleet without talking to them: a client-side send rate that only exists
 * once the store has said "throttled", cut on each throttling answer and
 * grown back along a cubic curve towards the rate that last worked (the shape
 * TCP CUBIC and the AWS SDKs' adaptive mode use), plus decorrelated jitter
 * between attempts so that hosts throttled together do not retry together.
 *
 * Why not the SDK's adaptive mode: its throttling backoff starts at about a
 * second and doubles, so a fleet's last hosts idle long after the quota has
 * room again (the SDK baseline in issue 11 took 1.3-1.6x the floor); and its
 * attempt budget is a count, where a fleet needs "until --timeout".
 *
 * Pure logic on an injected clock: tests drive it without timers.
 */

/** Rate cut on a throttling answer (CUBIC's beta). */
const BETA = 0.7;
/** How fast the rate grows back (CUBIC's C, in calls/s per s^3). */
const CUBIC_C = 0.4;
/** Never slower than this: a stuck host would only wait for --timeout. */
export const MIN_RATE = 0.5;
/** A first throttling answer within this much of the first send measures a burst, not a rate. */
const MIN_WINDOW_MS = 250;
const WINDOW_MS = 1000;

export interface Clock {
  now(): number;
}

export class AdaptiveRate {
  /** Calls per second, or undefined while the store has not throttled us. */
  private rate: number | undefined;
  /** The rate at the last cut: where the cubic curve flattens out. */
  private lastMax = 0;
  private lastCutAt = 0;
  private nextSendAt = 0;
  private readonly sends: number[] = [];

  constructor(private readonly clock: Clock = { now: () => performance.now() }) {}

  /** The current limit in calls per second (undefined: unpaced). */
  get callsPerSecond(): number | undefined {
    return this.rate;
  }

  /**
   * Reserve the next send slot; returns how many milliseconds to wait before
   * sending. Slots are handed out in order, 1/rate apart.
   */
  reserve(): number {
    const now = this.clock.now();
    const at = this.rate === undefined ? now : Math.max(now, this.nextSendAt);
    if (this.rate !== undefined) this.nextSendAt = at + 1000 / this.rate;
    this.sends.push(at);
    if (this.sends.length > 1024) this.forgetBefore(now - WINDOW_MS);
    return at - now;
  }

  /**
   * The store answered a call sent at `sentAt` with a throttling error. Only
   * calls sent after the last cut count: answers to calls already in flight
   * describe the old rate, and cutting again for each would collapse it.
   */
  throttled(sentAt: number): void {
    if (this.rate !== undefined && sentAt < this.lastCutAt) return;
    const now = this.clock.now();
    const current = this.rate ?? this.measuredRate(now);
    this.lastMax = current;
    this.rate = Math.max(MIN_RATE, current * BETA);
    this.lastCutAt = now;
    // Slots reserved at the old rate would still go out too fast.
    this.nextSendAt = Math.max(this.nextSendAt, now + 1000 / this.rate);
  }

  /** A call succeeded: grow back along the cubic curve towards the last good rate, then beyond. */
  succeeded(): void {
    if (this.rate === undefined) return;
    const t = (this.clock.now() - this.lastCutAt) / 1000;
    const k = Math.cbrt((this.lastMax * (1 - BETA)) / CUBIC_C);
    this.rate = Math.max(this.rate, MIN_RATE, CUBIC_C * (t - k) ** 3 + this.lastMax);
  }

  /** Calls sent per second over the last second (at least MIN_WINDOW_MS, so a burst does not read as a huge rate). */
  private measuredRate(now: number): number {
    this.forgetBefore(now - WINDOW_MS);
    const first = this.sends[0] ?? now;
    const windowMs = Math.min(WINDOW_MS, Math.max(MIN_WINDOW_MS, now - first));
    return Math.max(MIN_RATE, (this.sends.length * 1000) / windowMs);
  }

  private forgetBefore(time: number): void {
    const keep = this.sends.findIndex((t) => t >= time);
    this.sends.splice(0, keep < 0 ? this.sends.length : keep);
  }
}

/** Waits between attempts of one call. */
export interface Backoff {
  baseMs: number;
  capMs: number;
}

/** Throttling and transient faults: short first waits (the quota refills every 25 ms at 40 TPS), capped so no host idles long. */
export const RETRY_BACKOFF: Backoff = { baseMs: 50, capMs: 2000 };

/**
 * "Decorrelated jitter" (AWS Architecture Blog, Exponential Backoff and
 * Jitter): each wait is random between the base and three times the previous
 * wait, capped. Hosts that failed together drift apart at once.
 */
export function decorrelatedJitter(previousMs: number, backoff: Backoff, random: () => number = Math.random): number {
  const high = Math.max(backoff.baseMs, previousMs * 3);
  return Math.min(backoff.capMs, backoff.baseMs + random() * (high - backoff.baseMs));
}
