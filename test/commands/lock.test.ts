/**
 * Rollback-safe versions end to end (in-process main, emulator): `write --lock`
 * records every version used and no value; after the store moves on,
 * `write --locked` reproduces the old files exactly; `plan --locked` names
 * what moved; a vanished version is exit 3 naming `name:version`.
 */
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDotenv } from '../helpers/consumers.js';
import { DEMO_CREDENTIALS } from '../helpers/cli.js';
import { useInProcessEmulator } from '../helpers/inproc.js';
import { useTempDir } from '../helpers/tmp.js';

const CANARY = 'CANARY';
/** Names an ordinary object answers from Object.prototype. */
const PROTOTYPE_NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty'];
const REF = '/aws/reference/secretsmanager/prod/token';

const tempDir = useTempDir();
const { run, emulator } = useInProcessEmulator(
  () => ({
    parameters: [
      { name: '/app/db', type: 'SecureString', versions: [`${CANARY}-db-1`, `${CANARY}-db-2`] },
      { name: '/app/cert', type: 'String', versions: [`${CANARY}-cert-1`, `${CANARY}-cert-2`, `${CANARY}-cert-3`], labels: { stable: 2 } },
      { name: '/env/a', type: 'String', value: `${CANARY}-a-1` },
      { name: '/env/b', type: 'String', value: `${CANARY}-b-1` },
      { name: '/env/deeper/c', type: 'String', value: `${CANARY}-deeper` },
      { name: '/other/password', type: 'SecureString', value: `${CANARY}-other-service` },
      ...PROTOTYPE_NAMES.map((name) => ({ name, type: 'String' as const, value: `${CANARY}-${name}` })),
    ],
    secrets: [{ name: 'prod/token', value: `${CANARY}-token` }],
  }),
  CANARY,
);

async function put(name: string, value: string): Promise<void> {
  const client = new SSMClient({
    endpoint: emulator().url,
    region: 'us-east-1',
    credentials: { accessKeyId: DEMO_CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: DEMO_CREDENTIALS.AWS_SECRET_ACCESS_KEY },
  });
  try {
    await client.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true }));
  } finally {
    client.destroy();
  }
}

function manifest(dir: string, extra = ''): string {
  const file = join(dir, 'materialize.yaml');
  writeFileSync(
    file,
    `version: 1\noutputs:\n  - path: app.env\n    format: dotenv\n    values:\n      DB: /app/db\n      CERT: /app/cert:stable\n      TOKEN: ${REF}\n      OPT: { parameter: /app/none, optional: true, default: dflt }\n${extra}    paths:\n      - /env\n`,
  );
  return file;
}

describe('write --lock / --locked', () => {
  it('records versions only, reproduces the locked files after the store moved on, and plan --locked names what moved', async () => {
    const dir = tempDir();
    const m = manifest(dir);
    const lockPath = join(dir, 'deploy.lock.json');
    const first = await run(['write', '-m', m, '--lock', lockPath]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const lockText = readFileSync(lockPath, 'utf8');
    expect(lockText).not.toContain(CANARY);
    expect(JSON.parse(lockText)).toEqual({
      lock_version: 1,
      parameters: { '/app/db': 2, '/app/cert:stable': 2, [REF]: null },
      absent: ['/app/none'],
      paths: [{ path: '/env', recursive: false, parameters: { '/env/a': 1, '/env/b': 1 } }],
    });
    const deployed = readFileSync(join(dir, 'app.env'), 'utf8');

    await put('/app/db', `${CANARY}-db-3`);
    await put('/env/a', `${CANARY}-a-2`);
    await put('/env/c', `${CANARY}-c-1`);
    expect((await run(['write', '-m', m])).code).toBe(0);
    expect(readDotenv(readFileSync(join(dir, 'app.env'), 'utf8'))).toMatchObject({ DB: `${CANARY}-db-3`, A: `${CANARY}-a-2`, C: `${CANARY}-c-1` });

    const plan = await run(['plan', '-m', m, '--locked', lockPath]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('locked /app/db: version 2, latest: version 3');
    expect(plan.stdout).toContain('locked /env/a: version 1, latest: version 2');
    expect(plan.stdout).toContain('locked /env/c: none, latest: version 1');
    expect(plan.stdout).toContain('3 parameters moved on since the lock');
    expect(plan.stdout).toMatch(/- C\n/);

    emulator().resetCounters();
    const rollback = await run(['write', '-m', m, '--locked', lockPath]);
    expect(rollback.stderr).toBe('');
    expect(rollback.code).toBe(0);
    expect(readFileSync(join(dir, 'app.env'), 'utf8')).toBe(deployed);
    // Locked paths are read by name:version, not listed.
    expect(emulator().counters().operations['GetParametersByPath']).toBeUndefined();
    expect((await run(['check', '-m', m, '--locked', lockPath])).code).toBe(0);
  });

  it('a locked version that no longer exists is exit 3 naming name:version; nothing written', async () => {
    const dir = tempDir();
    const m = manifest(dir);
    const lockPath = join(dir, 'lock.json');
    expect((await run(['write', '-m', m, '--lock', lockPath])).code).toBe(0);
    const before = readFileSync(join(dir, 'app.env'), 'utf8');
    const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
    lock.parameters['/app/db'] = 99;
    lock.paths[0].parameters['/env/b'] = 42;
    writeFileSync(lockPath, JSON.stringify(lock));
    const r = await run(['write', '-m', m, '--locked', lockPath]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/2 required parameters not found:\n\s+\/app\/db:99\n\s+\/env\/b:42/);
    expect(r.stderr).toMatch(/hint: these locked versions no longer exist/);
    expect(readFileSync(join(dir, 'app.env'), 'utf8')).toBe(before);
  });

  it('a manifest that reads something the lock does not know, or a file that is no lock, is exit 2', async () => {
    const dir = tempDir();
    const lockPath = join(dir, 'lock.json');
    expect((await run(['write', '-m', manifest(dir), '--lock', lockPath])).code).toBe(0);
    const changed = await run(['write', '-m', manifest(dir, '      NEW: /app/new\n'), '--locked', lockPath]);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/has no version for 1 name the manifest reads:\n\s+\/app\/new/);
    writeFileSync(join(dir, 'bad.json'), '{"lock_version": 1, "parameters": {"/a": "3"}}');
    const bad = await run(['write', '-m', manifest(dir), '--locked', join(dir, 'bad.json')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a lock file/);
  });

  it("a lock is data: a name the manifest does not read (another service's secret) is exit 2 naming the lock and the name; nothing fetched or written", async () => {
    const dir = tempDir();
    const m = manifest(dir);
    const lockPath = join(dir, 'lock.json');
    expect((await run(['write', '-m', m, '--lock', lockPath])).code).toBe(0);
    const before = readFileSync(join(dir, 'app.env'), 'utf8');
    const edits: Array<
      [
        string,
        (lock: {
          parameters: Record<string, number>;
          absent: string[];
          paths: Array<{ path: string; recursive: boolean; parameters: Record<string, number> }>;
        }) => void,
      ]
    > = [
      ['/other/password', (lock) => (lock.paths[0]!.parameters['/other/password'] = 1)],
      ['/env/deeper/c', (lock) => (lock.paths[0]!.parameters['/env/deeper/c'] = 1)],
      ['/other/password', (lock) => (lock.parameters['/other/password'] = 1)],
      ['/other/password', (lock) => lock.absent.push('/other/password')],
      ['/other', (lock) => lock.paths.push({ path: '/other', recursive: false, parameters: { '/other/password': 1 } })],
    ];
    for (const [name, edit] of edits) {
      const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
      edit(lock);
      const tampered = join(dir, 'tampered.json');
      writeFileSync(tampered, JSON.stringify(lock));
      emulator().resetCounters();
      const r = await run(['write', '-m', m, '--locked', tampered]);
      expect(r.code, name).toBe(2);
      expect(r.stderr).toContain(`${tampered} names`);
      expect(r.stderr).toContain(`  ${name} (`);
      expect(emulator().counters().operations['GetParameters']).toBeUndefined();
      expect(readFileSync(join(dir, 'app.env'), 'utf8')).toBe(before);
    }
  });

  it('names such as constructor, toString and __proto__ are only names: locked and read back, and missing from a lock is exit 2', async () => {
    const dir = tempDir();
    const m = join(dir, 'proto.yaml');
    writeFileSync(
      m,
      `version: 1\noutputs:\n  - path: proto.json\n    format: json\n    values:\n${PROTOTYPE_NAMES.map((n, i) => `      K${i}: ${n}\n`).join('')}`,
    );
    const lockPath = join(dir, 'lock.json');
    expect((await run(['write', '-m', m, '--lock', lockPath])).code).toBe(0);
    expect(Object.keys(JSON.parse(readFileSync(lockPath, 'utf8')).parameters).sort()).toEqual([...PROTOTYPE_NAMES].sort());
    const deployed = readFileSync(join(dir, 'proto.json'), 'utf8');
    const locked = await run(['write', '-m', m, '--locked', lockPath]);
    expect(locked.stderr).toBe('');
    expect(locked.code).toBe(0);
    expect(readFileSync(join(dir, 'proto.json'), 'utf8')).toBe(deployed);
    expect((await run(['plan', '-m', m, '--locked', lockPath])).code).toBe(0);

    writeFileSync(lockPath, JSON.stringify({ lock_version: 1, parameters: {}, absent: [], paths: [] }));
    const empty = await run(['write', '-m', m, '--locked', lockPath]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain(`has no version for ${PROTOTYPE_NAMES.length} names the manifest reads`);
  });
});
