/**
 * How one process shares the account's API quota with every other host of a
 * fleet without talking to them: a client-side send rate that only exists
 * once the store has said "throttled", cut on a throttling answer and grown
 * back with time along a cubic curve towards the rate that last worked (the
 * shape TCP CUBIC and the AWS SDKs' adaptive mode use), plus decorrelated
 * jitter between attempts so that hosts throttled together do not retry
 * together.
 *
 * Why not the SDK's adaptive mode: its throttling backoff starts at about a
 * second and doubles, so a fleet's last hosts idle after the quota has room
 * again, and its attempt budget is a count, where a fleet needs "until
 * --timeout". BENCHMARKS.md runs both on the same fleets.
 *
 * Pure logic on an injected clock: tests drive it without timers.
 */

/** Rate cut on a throttling answer (CUBIC's beta). */
const BETA = 0.7;
/** How fast the rate grows back (CUBIC's C, in calls/s per s^3). */
const CUBIC_C = 0.4;
/** Never slower than this: a stuck host would only wait for --timeout. */
export const MIN_RATE = 0.5;
/**
 * At most one cut per this long. Answers arrive within milliseconds of each
 * other; cutting for each would collapse the rate far below the quota, and
 * sending a little too much only costs throttled calls, while sending too
 * little leaves the quota idle.
 */
const CUT_INTERVAL_MS = 500;
/** A first throttling answer within this much of the first send measures a burst, not a rate. */
const MIN_WINDOW_MS = 250;
const WINDOW_MS = 1000;

export interface Clock {
  now(): number;
}

export class AdaptiveRate {
  /** Whether the store has throttled us yet; until then sends are not paced. */
  private paced = false;
  /** The rate at the last cut: where the cubic curve flattens out. */
  private lastMax = 0;
  private lastCutAt = 0;
  private lastSendAt = -Infinity;
  private readonly sends: number[] = [];

  constructor(private readonly clock: Clock = { now: () => performance.now() }) {}

  /**
   * The current limit in calls per second (undefined: unpaced). It is a
   * function of the time since the last cut, so a host that has not been
   * throttled for a while speeds up even while it waits: slots are never
   * booked ahead at an old, slower rate.
   */
  get callsPerSecond(): number | undefined {
    return this.paced ? this.rateAt(this.clock.now()) : undefined;
  }

  /**
   * Ask to send now: 0 means go (the send is recorded); otherwise wait that
   * many milliseconds and ask again.
   */
  trySend(): number {
    const now = this.clock.now();
    if (this.paced) {
      const next = this.lastSendAt + 1000 / this.rateAt(now);
      if (next > now) return next - now;
    }
    this.lastSendAt = now;
    this.sends.push(now);
    if (this.sends.length > 1024) this.forgetBefore(now - WINDOW_MS);
    return 0;
  }

  /**
   * The store answered a call sent at `sentAt` with a throttling error. Only
   * calls sent after the last cut, and at most one cut per CUT_INTERVAL_MS:
   * answers to calls already in flight describe the old rate.
   */
  throttled(sentAt: number): void {
    const now = this.clock.now();
    if (this.paced && (sentAt < this.lastCutAt || now - this.lastCutAt < CUT_INTERVAL_MS)) return;
    this.lastMax = this.paced ? this.rateAt(now) : this.measuredRate(now);
    this.lastCutAt = now;
    this.paced = true;
  }

  /** CUBIC: BETA x the last good rate just after a cut, back to it after K seconds, then beyond. */
  private rateAt(now: number): number {
    const t = (now - this.lastCutAt) / 1000;
    const k = Math.cbrt((this.lastMax * (1 - BETA)) / CUBIC_C);
    return Math.max(MIN_RATE, CUBIC_C * (t - k) ** 3 + this.lastMax);
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

/** Throttling and transient faults: short first waits (the quota refills a call at a time, many times a second), capped so no host idles long. */
export const RETRY_BACKOFF: Backoff = { baseMs: 50, capMs: 1000 };

/**
 * "Decorrelated jitter" (AWS Architecture Blog, Exponential Backoff and
 * Jitter): each wait is random between the base and three times the previous
 * wait, capped. Hosts that failed together drift apart at once.
 */
export function decorrelatedJitter(previousMs: number, backoff: Backoff, random: () => number = Math.random): number {
  const high = Math.max(backoff.baseMs, previousMs * 3);
  return Math.min(backoff.capMs, backoff.baseMs + random() * (high - backoff.baseMs));
}
