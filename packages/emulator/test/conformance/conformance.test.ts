/**
 * The emulator against moto's server, scenario by scenario (scenarios.ts).
 * In CI moto must be present; elsewhere the moto half is skipped with a
 * printed reason, and the emulator half still runs against the `aws` views.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/index.js';
import { call, motoAvailable, startMoto, type Moto, type Outcome } from './harness.js';
import { scenarios, type Call } from './scenarios.js';

const HAVE_MOTO = motoAvailable();
if (!HAVE_MOTO) {
  if (process.env.CI) throw new Error('CI: moto is required for the conformance suite (python3 -m moto.server); install it (pip install "moto[server]")');
  console.warn('skipping the emulator-vs-moto comparison: moto is not installed (python3 -m moto.server); the declared AWS views are still checked');
}

let emulator: RunningEmulator;
let moto: Moto | undefined;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  if (HAVE_MOTO) moto = await startMoto();
});

afterAll(async () => {
  await emulator?.close();
  await moto?.stop();
});

/** `{p}` -> `/confN`, `{P}` -> `confN` in requests; the reverse in responses. */
function scoped(endpoint: string, index: number): Call {
  const prefix = `conf${index}`;
  const into = (v: unknown): unknown => map(v, (s) => s.replaceAll('{p}', `/${prefix}`).replaceAll('{P}', prefix));
  const back = (v: unknown): unknown => map(v, (s) => s.replaceAll(`/${prefix}`, '{p}').replaceAll(prefix, '{P}'));
  return async (op, body) => {
    const o = await call(endpoint, op, into(body));
    return back(o) as Outcome;
  };
}

function map(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => map(x, f));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, map(x, f)]));
  return v;
}

async function play(endpoint: string, index: number, s: (typeof scenarios)[number]): Promise<unknown> {
  const c = scoped(endpoint, index);
  for (const [op, body] of s.given ?? []) {
    const o = await c(op, body);
    expect(o.status, `given ${op} ${JSON.stringify(body)}: ${JSON.stringify(o.body)}`).toBe(200);
  }
  return s.run(c);
}

// Runs with or without moto: where moto is known to differ, the emulator must give AWS's answer.
describe('emulator follows AWS where moto differs', () => {
  scenarios.forEach((s, i) => {
    if (!s.motoDiffers) return;
    const difference = s.motoDiffers;
    it(s.name, async () => {
      expect(await play(emulator.url, i, s), difference.reason).toEqual(difference.aws);
    });
  });
});

describe.skipIf(!HAVE_MOTO)('emulator vs moto', () => {
  scenarios.forEach((s, i) => {
    it(s.name, async () => {
      await moto!.reset();
      const theirs = await play(moto!.url, i, s);
      if (s.motoDiffers) {
        expect(theirs, `moto's known difference: ${s.motoDiffers.reason}`).toEqual(s.motoDiffers.moto);
        return;
      }
      const ours = await play(emulator.url, i, s);
      expect(ours).toEqual(theirs);
    });
  });
});
