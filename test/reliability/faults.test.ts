/**
 * The fault matrix: the CLI against the emulator (and, where the emulator
 * cannot produce a shape, a scripted SSM endpoint), one cell per fault,
 * through `main(argv, io)` in this process or, for the cells that mostly
 * wait, the built binary. Every cell ends either in correct files or in the
 * documented exit code (5 unavailable, 4 denied, 3 missing) with every output
 * untouched, no temp file, and a message that names the failing parameter
 * and the fix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Faults, SeedCredential } from '@ssm-materialize/emulator';
import { readDotenv, readJson } from '../helpers/consumers.js';
import {
  cli,
  cliEnv,
  emulatorWith,
  expectCleanError,
  KMS_ALIAS,
  OTHER_KMS_ALIAS,
  rmScratch,
  scratchDir,
  tempFiles,
  writeManifest,
  type Emulator,
} from './harness.js';
import { recordFigure } from './figures.js';
import { runCliInProcess } from '../helpers/main.js';
import { DEMO_CREDENTIAL } from '@ssm-materialize/emulator';

const NAMES = Array.from({ length: 35 }, (_, i) => `/fault/app/k${String(i).padStart(2, '0')}`);
const PATH_PARAMS = Array.from({ length: 25 }, (_, i) => `/fault/env/e${String(i).padStart(2, '0')}`);
const VALUES: Record<string, string> = Object.fromEntries([...NAMES, ...PATH_PARAMS].map((n, i) => [n, `CANARY-fault-${i}-${'x'.repeat(i)} "q" 'q' #h`]));
const EXPECTED: Record<string, string> = {
  ...Object.fromEntries(NAMES.map((n) => [`K${n.slice(-2)}`, VALUES[n]!])),
  ...Object.fromEntries(PATH_PARAMS.map((n) => [`E${n.slice(-2)}`, VALUES[n]!])),
};
const DENIED_NAME = '/fault/app/k17';
const OTHER_KEY_NAME = '/fault/app/k05';
const LIMITED: SeedCredential = {
  access_key_id: 'AKIALIMITEDFAULTS',
  secret_access_key: 'limited-secret',
  allow: [
    {
      actions: ['ssm:GetParameters', 'ssm:GetParameter'],
      parameters: NAMES.filter((n) => n !== DENIED_NAME).map((n) => `arn:aws:ssm:us-east-1:123456789012:parameter${n}`),
      kms_keys: [KMS_ALIAS],
    },
    { actions: ['ssm:GetParametersByPath'], parameters: ['arn:aws:ssm:us-east-1:123456789012:parameter/fault/env'], kms_keys: [KMS_ALIAS] },
  ],
};
const KMS_LIMITED: SeedCredential = { access_key_id: 'AKIAKMSLIMITED', secret_access_key: 'kms-limited-secret', allow: { kms_keys: [KMS_ALIAS] } };
const PATH_DENIED: SeedCredential = { access_key_id: 'AKIAPATHDENIED', secret_access_key: 'path-denied-secret', allow: { actions: ['ssm:GetParameters'] } };
const DEMO = DEMO_CREDENTIAL;

let root: string;
const emulators: Emulator[] = [];
const servers: Server[] = [];
let passed = 0;
beforeAll(() => {
  root = scratchDir('faults');
});
afterAll(async () => {
  await Promise.all(emulators.map((e) => e.close()));
  for (const s of servers) s.close();
  rmScratch(root);
  recordFigure('faults', 'fault cells passed', passed);
});

interface Cell {
  name: string;
  faults?: Partial<Faults>;
  /** Emulator parameters, if not the standard ones. */
  values?: Record<string, string>;
  keyOf?: (name: string) => string;
  credentials?: { id: string; secret: string };
  args?: string[];
  /** Extra `values` lines and `paths` entries for the manifest. */
  extraValues?: string;
  paths?: string;
  endpoint?: () => Promise<string>;
  /** 'ok', or the exit code, what stderr must name, and what its hint must not blame. */
  expect: 'ok' | { code: 3 | 4 | 5; mentions: string[]; notBlamed?: string[] };
  counters?: (c: ReturnType<Emulator['counters']>) => void;
  /**
   * Mostly waiting (a stalled socket, a deadline): run the built binary, so
   * that the wait overlaps the other cells. In-process runs take turns (the
   * SDK reads this process's environment; test/helpers/main.ts).
   */
  spawn?: true;
}

const OLD_ENV = 'OLD=1\n';
const OLD_JSON = '{"OLD":"1"}\n';

async function runCell(cell: Cell): Promise<void> {
  const dir = join(root, cell.name.replace(/\W+/g, '-'));
  mkdirSync(dir, { mode: 0o700 });
  let endpoint: string;
  let emulator: Emulator | undefined;
  if (cell.endpoint) endpoint = await cell.endpoint();
  else {
    emulator = await emulatorWith(cell.values ?? VALUES, { credentials: [DEMO, LIMITED, KMS_LIMITED, PATH_DENIED] }, cell.keyOf);
    emulators.push(emulator);
    emulator.setFaults({ seed: 7, ...cell.faults });
    endpoint = emulator.url;
  }
  // Existing outputs, which a failed run must leave exactly as they are.
  writeFileSync(join(dir, 'app.env'), OLD_ENV, { mode: 0o600 });
  writeFileSync(join(dir, 'app.json'), OLD_JSON, { mode: 0o600 });
  const before = ['app.env', 'app.json'].map((f) => statSync(join(dir, f)));
  const values = NAMES.map((n) => `      K${n.slice(-2)}: ${n}`).join('\n') + (cell.extraValues ?? '');
  const paths = cell.paths ?? '      - { path: /fault/env }\n';
  const body = ['app.env:dotenv', 'app.json:json']
    .map((o) => o.split(':'))
    .map(([file, format]) => `  - path: ${file}\n    format: ${format}\n    values:\n${values}\n    paths:\n${paths}`)
    .join('');
  const manifest = writeManifest(dir, 'materialize.yaml', `version: 1\noutputs:\n${body}`);
  const creds: Record<string, string> = cell.credentials ? { AWS_ACCESS_KEY_ID: cell.credentials.id, AWS_SECRET_ACCESS_KEY: cell.credentials.secret } : {};
  const started = Date.now();
  // Cells that do not test the deadline get a long one: a loaded machine must
  // not turn a retried fault into a timeout.
  const args = cell.args ?? [];
  const deadline = args.includes('--timeout') ? [] : ['--timeout', '300'];
  const r = await (cell.spawn ? cli : runCliInProcess)(['write', '-m', manifest, ...deadline, ...args], cliEnv(endpoint, creds));
  const seconds = (Date.now() - started) / 1000;
  expect(r.stdout + r.stderr).not.toContain('CANARY');
  if (cell.expect === 'ok') {
    expect(r.code, r.stderr).toBe(0);
    expect(readDotenv(readFileSync(join(dir, 'app.env'), 'utf8'))).toEqual(cell.values ? expect.any(Object) : EXPECTED);
    expect(readJson(readFileSync(join(dir, 'app.json'), 'utf8'))).toEqual(cell.values ? expect.any(Object) : EXPECTED);
  } else {
    expectCleanError(r, cell.expect.code, ...cell.expect.mentions);
    // The fix must point at the failing parameter, not at innocent ones fetched in the same call.
    const hint = /\n {2}hint: (.*)/.exec(r.stderr)?.[1] ?? '';
    for (const innocent of cell.expect.notBlamed ?? []) expect(hint, `the hint blames ${innocent}`).not.toContain(innocent);
    expect(readFileSync(join(dir, 'app.env'), 'utf8')).toBe(OLD_ENV);
    expect(readFileSync(join(dir, 'app.json'), 'utf8')).toBe(OLD_JSON);
    ['app.env', 'app.json'].forEach((f, i) => expect(statSync(join(dir, f)).ino).toBe(before[i]!.ino));
  }
  expect(tempFiles(dir)).toEqual([]);
  if (emulator && cell.counters) cell.counters(emulator.counters());
  // How long a cell took is a figure, never a pass/fail condition: a shared CI
  // machine may be slow. A --timeout that failed to bound the run would still
  // fail the cell, through its expected exit code and the test's own timeout.
  recordFigure('faults', `${cell.name}: seconds`, seconds.toFixed(1));
  passed++;
}

/** A scripted SSM endpoint for shapes the emulator does not produce. No signature check: it only answers. */
async function scriptedEndpoint(answer: (target: string, body: Record<string, unknown>, call: number) => unknown): Promise<string> {
  let calls = 0;
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (d) => (data += d));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '').replace('AmazonSSM.', '');
      const out = JSON.stringify(answer(target, JSON.parse(data || '{}') as Record<string, unknown>, calls++));
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `req-${calls}` });
      res.end(out);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const wire = (name: string) => ({ Name: name, Type: 'SecureString', Value: VALUES[name], Version: 1 });

const cells: Cell[] = [
  {
    name: 'no faults: the minimal number of calls',
    expect: 'ok',
    counters: (c) => expect(c.operations).toEqual({ GetParameters: 4, GetParametersByPath: 3 }),
  },
  { name: 'throttling burst (3 TPS for 7 calls)', faults: { tps: 3 }, expect: 'ok', counters: (c) => expect(c.throttled).toBeGreaterThan(0) },
  {
    name: 'persistent throttling',
    faults: { tps: 0.1 },
    args: ['--max-attempts', '2'],
    expect: { code: 5, mentions: ['ThrottlingException', '/fault/', 'hint: the account is over its SSM API quota', '--jitter'] },
  },
  // Faults at random: with the default 5 attempts one call in 400 fails them all (0.3^5), and
  // which call draws which fault depends on timing; 20 attempts make that 1 in 10^10.
  {
    name: 'InternalServerError on 30% of calls',
    faults: { error_rate: 0.3 },
    args: ['--max-attempts', '20'],
    expect: 'ok',
    counters: (c) => expect(c.faulted).toBeGreaterThan(0),
  },
  {
    name: 'InternalServerError on every call',
    faults: { error_rate: 1 },
    args: ['--max-attempts', '3'],
    expect: { code: 5, mentions: ['InternalServerError', '/fault/', 'hint: retry later'] },
  },
  {
    name: 'dropped connections on 30% of calls',
    faults: { drop_rate: 0.3 },
    args: ['--max-attempts', '20'],
    expect: 'ok',
    counters: (c) => expect(c.dropped).toBeGreaterThan(0),
  },
  {
    name: 'every connection dropped',
    faults: { drop_rate: 1 },
    args: ['--max-attempts', '3'],
    expect: { code: 5, mentions: ['/fault/', 'hint: retry later'] },
  },
  {
    name: 'one stalled connection is retried',
    faults: { stall_rate: 0.1, seed: 3 },
    spawn: true,
    expect: 'ok',
    counters: (c) => expect(c.stalled).toBeGreaterThan(0),
  },
  {
    name: 'every connection stalls, --timeout 2',
    faults: { stall_rate: 1 },
    args: ['--timeout', '2'],
    spawn: true,
    expect: { code: 5, mentions: ['timed out after 2.0 s', '/fault/', 'hint: raise --timeout'] },
  },
  { name: 'latency with jitter inside the deadline', faults: { latency_ms: 100, latency_jitter_ms: 300 }, expect: 'ok' },
  {
    name: 'latency beyond --timeout',
    faults: { latency_ms: 4000 },
    args: ['--timeout', '1'],
    expect: { code: 5, mentions: ['timed out after 1.0 s', '/fault/', 'hint: raise --timeout'] },
  },
  {
    name: 'AccessDenied on one name of many',
    credentials: { id: LIMITED.access_key_id, secret: LIMITED.secret_access_key },
    expect: {
      code: 4,
      mentions: [DENIED_NAME, `hint: allow ssm:GetParameters on arn:aws:ssm:us-east-1:123456789012:parameter${DENIED_NAME}`],
      notBlamed: ['/fault/app/k16', '/fault/app/k18'],
    },
  },
  {
    name: 'AccessDenied on the path',
    credentials: { id: PATH_DENIED.access_key_id, secret: PATH_DENIED.secret_access_key },
    expect: { code: 4, mentions: ['/fault/env', 'hint: allow ssm:GetParametersByPath on arn:aws:ssm:us-east-1:123456789012:parameter/fault/env'] },
  },
  {
    name: 'KMS denial on one key',
    keyOf: (n) => (n === OTHER_KEY_NAME ? OTHER_KMS_ALIAS : KMS_ALIAS),
    credentials: { id: KMS_LIMITED.access_key_id, secret: KMS_LIMITED.secret_access_key },
    expect: { code: 4, mentions: [OTHER_KEY_NAME, 'hint: allow kms:Decrypt'], notBlamed: ['/fault/app/k04', '/fault/app/k06'] },
  },
  {
    name: 'unknown credentials',
    credentials: { id: 'AKIANOBODYKNOWS', secret: 'nope' },
    expect: { code: 4, mentions: ['hint: check the credentials'] },
  },
  {
    name: 'a path that returns nothing',
    paths: '      - { path: /fault/env }\n      - { path: /fault/nothing-here, recursive: true }\n',
    expect: { code: 3, mentions: ['/fault/nothing-here', 'no parameters under this path', 'hint: create them'] },
  },
  {
    name: 'one name of many missing',
    extraValues: '\n      GONE: /fault/app/gone',
    expect: { code: 3, mentions: ['/fault/app/gone', 'hint: create them'] },
  },
  {
    name: 'nothing listening (connection refused)',
    endpoint: async () => {
      const s = createServer();
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
      const port = (s.address() as AddressInfo).port;
      await new Promise((resolve) => s.close(resolve));
      return `http://127.0.0.1:${port}`;
    },
    args: ['--max-attempts', '2'],
    expect: { code: 5, mentions: ['/fault/', 'hint: retry later'] },
  },
  {
    // The emulator only returns an empty page with a NextToken when a filter
    // excludes items, and this tool sends no filters: a scripted endpoint does it.
    name: 'a page with zero items and a NextToken',
    endpoint: () =>
      scriptedEndpoint((target, body) => {
        if (target === 'GetParameters') return { Parameters: (body.Names as string[]).map(wire), InvalidParameters: [] };
        const token = body.NextToken as string | undefined;
        if (token === undefined) return { Parameters: [], NextToken: 'empty-1' };
        if (token === 'empty-1') return { Parameters: PATH_PARAMS.slice(0, 10).map(wire), NextToken: 'empty-2' };
        if (token === 'empty-2') return { Parameters: [], NextToken: 'last' };
        return { Parameters: PATH_PARAMS.slice(10).map(wire) };
      }),
    expect: 'ok',
  },
  {
    name: 'endless empty pages',
    endpoint: () =>
      scriptedEndpoint((target, body, call) =>
        target === 'GetParameters' ? { Parameters: (body.Names as string[]).map(wire), InvalidParameters: [] } : { Parameters: [], NextToken: `again-${call}` },
      ),
    args: ['--timeout', '2'],
    spawn: true,
    expect: { code: 5, mentions: ['/fault/env', 'hint: raise --timeout'] },
  },
];

describe('fault matrix: correct files or the documented exit code, outputs untouched', () => {
  // The cells that mostly wait start first, so their waits overlap the rest (vitest runs 5 at once).
  const waitingFirst = [...cells.filter((c) => c.spawn), ...cells.filter((c) => !c.spawn)];
  for (const cell of waitingFirst) {
    it.concurrent(cell.name, () => runCell(cell), 60_000);
  }
});
