/**
 * Fault matrix cells for `write --keep-last-good MAX_AGE` (in-process main,
 * emulator with injected faults): store down without and with the opt-in,
 * an output too old, no output yet, and missing or denied parameters (which
 * must never fall back to the last good files).
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useInProcessEmulator } from '../helpers/inproc.js';
import { useTempDir } from '../helpers/tmp.js';
import { DEMO_CREDENTIAL } from '@ssm-materialize/emulator';

const CANARY = 'CANARY';
const LIMITED = { access_key_id: 'AKIALIMITED', secret_access_key: 'limited-secret' };
const tempDir = useTempDir();
const { run, emulator } = useInProcessEmulator(
  () => ({
    credentials: [
      DEMO_CREDENTIAL,
      { ...LIMITED, allow: { actions: ['ssm:GetParameters'], parameters: ['arn:aws:ssm:us-east-1:123456789012:parameter/other/*'] } },
    ],
    parameters: [
      { name: '/app/a', type: 'SecureString', value: `${CANARY}-a` },
      { name: '/app/b', type: 'String', value: `${CANARY}-b` },
    ],
  }),
  CANARY,
);
const DOWN = ['--max-attempts', '1', '--timeout', '5'];

function setup(extra = ''): { dir: string; manifest: string } {
  const dir = tempDir();
  const manifest = join(dir, 'm.yaml');
  writeFileSync(
    manifest,
    `version: 1\noutputs:\n  - { path: a.env, format: dotenv, values: { A: /app/a${extra} } }\n  - { path: b.json, format: json, values: { B: /app/b } }\n`,
  );
  return { dir, manifest };
}
const snapshot = (dir: string) =>
  Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f !== 'm.yaml')
      .map((f) => [f, `${statSync(join(dir, f)).ino}:${readFileSync(join(dir, f), 'utf8')}`]),
  );

async function down<T>(body: () => Promise<T>): Promise<T> {
  emulator().setFaults({ error_rate: 1 });
  try {
    return await body();
  } finally {
    emulator().setFaults({ error_rate: 0 });
  }
}

describe('--keep-last-good', () => {
  it('store down without the opt-in: exit 5, outputs untouched', async () => {
    const { dir, manifest } = setup();
    expect((await run(['write', '-m', manifest])).code).toBe(0);
    const before = snapshot(dir);
    const r = await down(() => run(['write', '-m', manifest, ...DOWN]));
    expect(r.code).toBe(5);
    expect(snapshot(dir)).toEqual(before);
  });

  it('store down with the opt-in and young outputs: kept, exit 0, a warning and a JSON stale event; check reports them until a good write', async () => {
    const { dir, manifest } = setup();
    expect((await run(['write', '-m', manifest, '--keep-last-good', '24h'])).code).toBe(0);
    const outputs = () => Object.fromEntries(Object.entries(snapshot(dir)).filter(([f]) => !f.endsWith('.fetched')));
    const before = outputs();
    const text = await down(() => run(['write', '-m', manifest, '--keep-last-good', '24h', ...DOWN]));
    expect(text.code).toBe(0);
    expect(text.stderr).toMatch(new RegExp(`warning: Parameter Store unavailable; kept ${join(dir, 'a.env')} as last fetched \\d+ s ago`));
    expect(text.stderr).toContain(join(dir, 'b.json'));
    const json = await down(() => run(['write', '-m', manifest, '--keep-last-good', '24h', '--log-format', 'json', ...DOWN]));
    expect(json.code).toBe(0);
    const events = json.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.event === 'stale');
    expect(events.map((e) => e.path)).toEqual([join(dir, 'a.env'), join(dir, 'b.json')]);
    expect(outputs()).toEqual(before);
    // The marker holds a time, never a value.
    expect(readFileSync(join(dir, '.a.env.ssm-materialize.fetched'), 'utf8')).toMatch(/^\{"fetched_at":"[^"]+","stale_since":"[^"]+"\}\n$/);

    const check = await run(['check', '-m', manifest]);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/! .*a\.env: stale, kept by --keep-last-good since/);
    expect((await run(['write', '-m', manifest, '--keep-last-good', '24h'])).code).toBe(0);
    expect((await run(['check', '-m', manifest])).code).toBe(0);
  });

  it('store down with an output older than MAX_AGE, or none yet: exit 5 naming the output', async () => {
    const { dir, manifest } = setup();
    expect((await run(['write', '-m', manifest, '--keep-last-good', '1h'])).code).toBe(0);
    writeFileSync(join(dir, '.b.json.ssm-materialize.fetched'), JSON.stringify({ fetched_at: new Date(Date.now() - 2 * 86_400_000).toISOString() }));
    const old = await down(() => run(['write', '-m', manifest, '--keep-last-good', '24h', ...DOWN]));
    expect(old.code).toBe(5);
    expect(old.stderr).toMatch(/b\.json was last fetched 2 d ago, more than --keep-last-good allows/);
    expect(old.stderr).not.toMatch(/a\.env (was|does|has)/);

    const fresh = setup();
    const none = await down(() => run(['write', '-m', fresh.manifest, '--keep-last-good', '24h', ...DOWN]));
    expect(none.code).toBe(5);
    expect(none.stderr).toMatch(/a\.env does not exist/);
    expect(readdirSync(fresh.dir)).toEqual(['m.yaml']);
  });

  it('a missing or denied parameter never falls back, with the opt-in: exit 3 / 4', async () => {
    const { manifest } = setup();
    expect((await run(['write', '-m', manifest, '--keep-last-good', '24h'])).code).toBe(0);
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('/app/a', '/app/gone'));
    expect((await run(['write', '-m', manifest, '--keep-last-good', '24h'])).code).toBe(3);
    const denied = await run(['write', '-m', manifest, '--keep-last-good', '24h'], {
      AWS_ACCESS_KEY_ID: LIMITED.access_key_id,
      AWS_SECRET_ACCESS_KEY: LIMITED.secret_access_key,
    });
    expect(denied.code).toBe(4);
    expect(denied.stderr).not.toContain('kept');
  });

  it('refuses an age it cannot read (exit 2)', async () => {
    const { manifest } = setup();
    const r = await run(['write', '-m', manifest, '--keep-last-good', 'soon']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/expected an age such as 90s, 30m, 24h or 7d/);
  });
});
