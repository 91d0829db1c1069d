/**
 * Fault injection: latency, a token bucket shared by the Get* operations
 * (like the account's GetParameter* quota), server errors, dropped and
 * stalled connections. Random choices come from a small seeded PRNG, so a
 * given `seed` and request sequence always produce the same faults.
 */
import { NO_FAULTS, type Faults } from './types.js';
import { mulberry32 } from './prng.js';

export type Fault = 'none' | 'drop' | 'stall' | 'error';

/** Why a fault setting is out of range, or undefined. Shared with seed validation. */
export function checkFault(key: string, value: unknown): string | undefined {
  if (!Object.hasOwn(NO_FAULTS, key)) return `unknown fault setting (known: ${Object.keys(NO_FAULTS).join(', ')})`;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return 'must be a number >= 0';
  if (key.endsWith('_rate') && value > 1) return 'must be a fraction between 0 and 1';
  return undefined;
}

export class FaultInjector {
  private faults: Faults = { ...NO_FAULTS };
  private random = mulberry32(NO_FAULTS.seed);
  private tokens = 0;
  private refilledAt = 0;

  constructor(
    initial: Partial<Faults> = {},
    private readonly now: () => number = () => performance.now(),
  ) {
    this.set(initial);
  }

  get current(): Faults {
    return { ...this.faults };
  }

  /** Change some settings; a new `seed` restarts the random sequence, a new `tps` refills the bucket. */
  set(partial: Partial<Faults>): void {
    for (const [key, value] of Object.entries(partial)) {
      const problem = checkFault(key, value);
      if (problem) throw new RangeError(`faults.${key}: ${problem}`);
    }
    this.faults = { ...this.faults, ...partial };
    if (partial.seed !== undefined) this.random = mulberry32(partial.seed);
    if (partial.tps !== undefined) {
      this.tokens = partial.tps;
      this.refilledAt = this.now();
    }
  }

  /** One draw per request decides its fate: drop, stall, server error or none. */
  decide(): Fault {
    const { drop_rate, stall_rate, error_rate } = this.faults;
    if (drop_rate + stall_rate + error_rate === 0) return 'none';
    const r = this.random();
    if (r < drop_rate) return 'drop';
    if (r < drop_rate + stall_rate) return 'stall';
    if (r < drop_rate + stall_rate + error_rate) return 'error';
    return 'none';
  }

  /** Milliseconds to wait before answering. */
  delay(): number {
    const { latency_ms, latency_jitter_ms } = this.faults;
    return latency_ms + (latency_jitter_ms > 0 ? this.random() * latency_jitter_ms : 0);
  }

  /** Token bucket: capacity `tps`, refilled at `tps` per second. false = throttle. */
  take(): boolean {
    const { tps } = this.faults;
    if (tps <= 0) return true;
    const now = this.now();
    this.tokens = Math.min(tps, this.tokens + ((now - this.refilledAt) / 1000) * tps);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
