/**
 * The fleet template's command documents, run on a host the way the SSM
 * agent runs them (./agent.ts): the built CLI installed in /usr/local/bin,
 * no AWS keys and no region in the environment, the instance role's
 * credentials and the region from instance metadata (served by the
 * emulator), the parameters in moto. Exit codes reach Run Command as the
 * invocation's status; no value reaches its output.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '@ssm-materialize/emulator';
import { isolatedAwsEnv } from '@ssm-materialize/emulator/testing';
import { call, startMoto, type Moto } from '../conformance/harness.js';
import { runMain } from '../helpers/main.js';
import { useInstances, type Instance } from '../integrations/instance.js';
import { documentsOf, runDocument, type Invocation } from './agent.js';
import type { CommandDocument } from '../../src/fleet/documents.js';

const ROLE = 'arn:aws:iam::123456789012:role/fleet-host';
const DB_PASSWORD = 'fleet-canary-db-pa$$word';
const API_KEY = "fleet-canary-api'key";
const CANARIES = [DB_PASSWORD, API_KEY, 'fleet-canary-rotated', 'fleet-canary-bad-change'];
const newInstance = useInstances();

let moto: Moto;
/** Instance metadata for every test; the Parameter Store of the denied test (its role may not read api-key). */
let emulator: RunningEmulator;
let host: Instance;
let write: CommandDocument;
let check: CommandDocument;
let manifest: string;
let output: string;
const invocations: Invocation[] = [];

beforeAll(async () => {
  [moto, emulator] = await Promise.all([
    startMoto(),
    startEmulator({
      port: 0,
      seed: {
        roles: [{ arn: ROLE, allow: { parameters: ['arn:aws:ssm:us-east-1:123456789012:parameter/fleet/app/db-password'], actions: ['ssm:Get*'] } }],
        instance_role: ROLE,
        parameters: [
          { name: '/fleet/app/db-password', value: DB_PASSWORD },
          { name: '/fleet/app/api-key', value: API_KEY },
        ],
      },
    }),
  ]);
  for (const [name, value] of [
    ['/fleet/app/db-password', DB_PASSWORD],
    ['/fleet/app/api-key', API_KEY],
  ]) {
    expect((await call(moto.url, 'PutParameter', { Name: name, Value: value, Type: 'SecureString' })).status).toBe(200);
  }
  host = newInstance();
  output = join(host.appRoot, 'app.env');
  manifest = writeManifest(host, 'materialize.yaml', ['/fleet/app/db-password', '/fleet/app/api-key']);
  const generated = await runMain(['fleet', '-m', manifest, '--target', 'tag:App=fleet-test', '--state-dir', join(host.root, 'var/lib/fleet')], {
    env: { PATH: process.env.PATH },
  });
  expect(generated.code).toBe(0);
  ({ write, check } = documentsOf(generated.stdout));
});

afterAll(async () => {
  await Promise.all([moto?.stop(), emulator?.close()]);
  for (const i of invocations) for (const canary of CANARIES) expect(i.stdout + i.stderr).not.toContain(canary);
});

function writeManifest(instance: Instance, name: string, parameters: string[]): string {
  const dir = join(instance.root, 'etc', 'app');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  const values = parameters.map((p, i) => `      K${i}: ${p}`).join('\n');
  writeFileSync(file, `version: 1\noutputs:\n  - path: ${join(instance.appRoot, 'app.env')}\n    format: dotenv\n    values:\n${values}\n`);
  return file;
}

/** What the agent runs with: no keys, no region; the metadata endpoint is the emulator's, Parameter Store is moto unless told. */
function agentEnv(ssmEndpoint = moto.url): NodeJS.ProcessEnv {
  return isolatedAwsEnv(host.env(emulator.url, { AWS_ENDPOINT_URL_SSM: ssmEndpoint }), 'local instance metadata');
}

async function run(doc: CommandDocument, params: Record<string, string> = {}, ssmEndpoint?: string): Promise<Invocation> {
  const r = await runDocument(doc, params, agentEnv(ssmEndpoint));
  invocations.push(r);
  return r;
}

describe('the write and check documents on a host', () => {
  it('write: Success, the file 0600 with the values from moto, read with the instance role', async () => {
    const r = await run(write);
    expect(r.stderr).toBe('');
    expect([r.status, r.exitCode]).toEqual(['Success', 0]);
    expect(r.stdout).toContain('request 1: writing');
    expect(statSync(output).mode & 0o777).toBe(0o600);
    const text = readFileSync(output, 'utf8');
    expect(text).toContain('fleet-canary-db-pa$$word');
    expect(text).toContain("fleet-canary-api'key");
  });

  it('a rerun writes nothing (the output is unchanged) and check reports compliant', async () => {
    const before = statSync(output);
    const r = await run(write);
    expect([r.status, r.exitCode]).toEqual(['Success', 0]);
    expect(r.stdout).toMatch(/unchanged .*app\.env/);
    expect(statSync(output).ino).toBe(before.ino);
    const c = await run(check);
    expect([c.status, c.exitCode]).toEqual(['Success', 0]);
  });

  it('drift: a changed value makes check fail with exit 1 and say what to do, naming no value', async () => {
    expect(
      (await call(moto.url, 'PutParameter', { Name: '/fleet/app/api-key', Value: 'fleet-canary-rotated', Type: 'SecureString', Overwrite: true })).status,
    ).toBe(200);
    const c = await run(check);
    expect([c.status, c.exitCode]).toEqual(['Failed', 1]);
    expect(c.stderr).toContain('drift');
    expect(c.stdout).toContain('K1');
    const w = await run(write);
    expect([w.status, w.exitCode]).toEqual(['Success', 0]);
    expect(readFileSync(output, 'utf8')).toContain('fleet-canary-rotated');
    expect((await run(check)).exitCode).toBe(0);
  });

  it('missing: exit 3 names the parameter; the file is untouched', async () => {
    const missing = writeManifest(host, 'missing.yaml', ['/fleet/app/db-password', '/fleet/app/never-stored']);
    const before = readFileSync(output, 'utf8');
    const r = await run(write, { ManifestPath: missing });
    expect([r.status, r.exitCode]).toEqual(['Failed', 3]);
    expect(r.stderr).toContain('/fleet/app/never-stored');
    expect(readFileSync(output, 'utf8')).toBe(before);
  });

  it('denied: the instance role may not read api-key, exit 4 names it; the file is untouched', async () => {
    const before = readFileSync(output, 'utf8');
    // The emulator enforces the role's access rules (moto does not check IAM).
    const r = await run(write, {}, emulator.url);
    expect([r.status, r.exitCode]).toEqual(['Failed', 4]);
    expect(r.stderr).toContain('/fleet/app/api-key');
    expect(readFileSync(output, 'utf8')).toBe(before);
  });
});

describe('rollback with the lock the last changing write replaced', () => {
  it('LockFile keeps the replaced versions as .previous; Locked=.previous writes them again, and check compares with them', async () => {
    const lock = join(host.root, 'var', 'lib', 'app.lock');
    expect((await run(write, { LockFile: lock })).exitCode).toBe(0);
    const good = readFileSync(output, 'utf8');
    expect(existsSync(`${lock}.previous`)).toBe(false);
    expect(
      (await call(moto.url, 'PutParameter', { Name: '/fleet/app/db-password', Value: 'fleet-canary-bad-change', Type: 'SecureString', Overwrite: true }))
        .status,
    ).toBe(200);
    const changed = await run(write, { LockFile: lock });
    expect(changed.exitCode).toBe(0);
    expect(changed.stdout).toContain(`LockedVersions=${lock}.previous`);
    expect(readFileSync(output, 'utf8')).toContain('fleet-canary-bad-change');
    // The association with LockedVersions set: the host no longer holds the pinned versions.
    expect((await run(check, { Locked: `${lock}.previous` })).exitCode).toBe(1);
    const rollback = await run(write, { LockFile: lock, Locked: `${lock}.previous` });
    expect([rollback.status, rollback.exitCode]).toEqual(['Success', 0]);
    expect(readFileSync(output, 'utf8')).toBe(good);
    expect((await run(check, { Locked: `${lock}.previous` })).exitCode).toBe(0);
    // Writing under the pin leaves the pin's source alone.
    expect(existsSync(`${lock}.previous`)).toBe(true);
    expect((await run(write, { LockFile: lock, Locked: `${lock}.previous` })).exitCode).toBe(0);
    expect(readFileSync(output, 'utf8')).toBe(good);
  });
});

describe('document parameters are pasted into shell text: each pattern refuses what could run', () => {
  const canary = () => join(host.root, 'pwned');
  const hostile = (c: string) => [
    `/x;touch ${c}`,
    `/x$(touch ${c})`,
    `/x\`touch ${c}\``,
    `/x\ntouch ${c}`,
    `/x'; touch ${c}; '`,
    `/x"; touch ${c}; "`,
    '/x {{ssm:/fleet/app/db-password}}',
    '/x{{ManifestPath}}',
    '/x|sh',
    '/x&',
    '/x > /etc/passwd',
    '-rf',
    'relative/path',
    '',
  ];

  it.each(['ManifestPath', 'Locked', 'LockFile', 'StateDirectory', 'Jitter', 'KeepLastGood', 'RequestTime'])(
    'write %s: every hostile value is refused before anything runs',
    async (name) => {
      const timeLike =
        name === 'RequestTime'
          ? [`2026-12-05T09:00:00Z;touch ${canary()}`, '2026-12-05T09:00:00Z$(id)', '2026-12-05 09:00:00Z', '2026-12-05T09:00:00+01:00', '1796461689']
          : [];
      for (const value of [...hostile(canary()), ...timeLike]) {
        // Empty is a valid "off" for the optional ones.
        if (value === '' && ['Locked', 'LockFile', 'KeepLastGood', 'RequestTime'].includes(name)) continue;
        const r = await run(write, { [name]: value });
        expect(r.status, `${name}=${JSON.stringify(value)}`).toBe('Refused');
      }
      expect(existsSync(canary())).toBe(false);
    },
  );

  it('check ManifestPath and Locked refuse the same values; an undeclared parameter is refused', async () => {
    for (const name of ['ManifestPath', 'Locked']) {
      for (const value of hostile(canary()).filter((v) => v !== '')) expect((await run(check, { [name]: value })).status).toBe('Refused');
    }
    expect((await run(check, { Command: 'id' })).status).toBe('Refused');
    expect(existsSync(canary())).toBe(false);
  });

  it('every default passes its own pattern (a document that refuses itself would never run)', () => {
    for (const doc of [write, check]) {
      for (const [name, p] of Object.entries(doc.parameters)) expect(new RegExp(p.allowedPattern).test(p.default), name).toBe(true);
    }
  });
});
