/**
 * Version and label selectors through the whole `write` path, on the
 * emulator (which sends `Selector`, as AWS does) and on moto (which omits
 * it). The same manifest must give the same file on both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmulator, type RunningEmulator } from '@ssm-materialize/emulator';
import { call, motoAvailable, startMoto, type Moto } from '@ssm-materialize/emulator/testing';
import { mainEnv, runCliInProcess as runMain } from '../helpers/main.js';
import { useTempDir } from '../helpers/tmp.js';

const HAVE_MOTO = motoAvailable();
if (!HAVE_MOTO) {
  if (process.env.CI) throw new Error('CI: moto is required for the selector scenarios (python3 -m moto.server)');
  console.warn('moto is not installed: write-selectors runs against the emulator only');
}
let emulator: RunningEmulator;
let moto: Moto | undefined;

async function seed(endpoint: string): Promise<void> {
  const steps: Array<[string, unknown]> = [
    ['PutParameter', { Name: '/sel/v', Value: 'one', Type: 'String' }],
    ['PutParameter', { Name: '/sel/v', Value: 'two', Overwrite: true }],
    ['PutParameter', { Name: '/sel/v', Value: 'three', Overwrite: true }],
    ['LabelParameterVersion', { Name: '/sel/v', ParameterVersion: 1, Labels: ['old'] }],
    ['PutParameter', { Name: '/sel/s', Value: 'secret-one', Type: 'SecureString' }],
    ['PutParameter', { Name: '/sel/s', Value: 'secret-two', Overwrite: true }],
    ['LabelParameterVersion', { Name: '/sel/s', ParameterVersion: 2, Labels: ['current'] }],
  ];
  for (const [op, body] of steps) {
    const o = await call(endpoint, op, body);
    expect(o.status, `${op}: ${JSON.stringify(o.body)}`).toBe(200);
  }
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  await seed(emulator.url);
  if (HAVE_MOTO) {
    moto = await startMoto();
    await seed(moto.url);
  }
});
afterAll(async () => {
  await emulator?.close();
  await moto?.stop();
});

const tempDir = useTempDir();

const MANIFEST = `version: 1
outputs:
  - path: out.json
    format: json
    values:
      V1: /sel/v:1
      V2: /sel/v:2
      OLD: /sel/v:old
      LATEST: /sel/v
      S1: /sel/s:1
      S_CURRENT: /sel/s:current
`;
const EXPECTED = { V1: 'one', V2: 'two', OLD: 'one', LATEST: 'three', S1: 'secret-one', S_CURRENT: 'secret-two' };

async function writeWith(endpoint: string, manifest: string) {
  const dir = tempDir();
  writeFileSync(join(dir, 'm.yaml'), manifest);
  const r = await runMain(['write', '-m', join(dir, 'm.yaml')], mainEnv(endpoint));
  return { ...r, dir };
}

const stores: Array<[string, () => string]> = [['emulator (sends Selector)', () => emulator.url]];
if (HAVE_MOTO) stores.push(['moto (omits Selector)', () => moto!.url]);

describe.each(stores)('write with version and label selectors: %s', (_name, url) => {
  it('writes each selected version, however many share a base name', async () => {
    const r = await writeWith(url(), MANIFEST);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(join(r.dir, 'out.json'), 'utf8'))).toEqual(EXPECTED);
  });

  it('reports unknown versions and labels as missing (exit 3), and only those', async () => {
    const r = await writeWith(url(), `${MANIFEST}      NINE: /sel/v:9\n      NOLABEL: /sel/v:nolabel\n`);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('2 required parameters not found:\n  /sel/v:9\n  /sel/v:nolabel\n');
  });
});

it('never puts two requests for one base name in one GetParameters call', async () => {
  emulator.resetCounters();
  const r = await writeWith(emulator.url, MANIFEST);
  expect(r.code).toBe(0);
  // /sel/v is asked for 4 ways and /sel/s 2 ways: 4 calls, each base name at most once per call.
  expect(emulator.counters().operations['GetParameters']).toBe(4);
});
