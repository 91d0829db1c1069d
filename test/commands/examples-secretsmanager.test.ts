/** examples/secretsmanager/ end to end: secrets and parameters in one call, JSON split into keys. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSeedFile } from '@ssm-materialize/emulator';
import { readDotenv, readJson } from '../helpers/consumers.js';
import { useInProcessEmulator } from '../helpers/inproc.js';
import { useTempDir } from '../helpers/tmp.js';

const example = join(import.meta.dirname, '..', '..', 'examples', 'secretsmanager');
const seed = loadSeedFile(join(example, 'seed.yaml'));
const db = seed.secrets?.find((s) => s.name === 'prod/myapp/db')?.value as Record<string, string | number>;
const stripe = seed.secrets?.find((s) => s.name === 'prod/myapp/stripe')?.value as Record<string, string>;

const tempDir = useTempDir();
// The database password must never be printed.
const { run, emulator } = useInProcessEmulator(() => seed, String(db.password));

describe('examples/secretsmanager', () => {
  it('writes the chosen and the expanded fields, reading secrets and parameters in one GetParameters call', async () => {
    const out = tempDir();
    emulator().resetCounters();
    const r = await run(['write', '-m', join(example, 'materialize.yaml')], { OUT_DIR: out });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(emulator().counters().operations).toEqual({ GetParameters: 1 });
    expect(readDotenv(readFileSync(join(out, 'app.env'), 'utf8'))).toEqual({
      LOG_LEVEL: 'info',
      DB_HOST: db.host,
      DB_PORT: String(db.port),
      DB_USER: db.username,
      DB_PASSWORD: db.password,
      STRIPE_PUBLISHABLE_KEY: stripe.publishable_key,
      STRIPE_SECRET_KEY: stripe.secret_key,
    });
    expect(readJson(readFileSync(join(out, 'config.json'), 'utf8'))).toEqual({ db: Object.fromEntries(Object.entries(db).map(([k, v]) => [k, String(v)])) });
  });
});
