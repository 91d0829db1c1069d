/**
 * Zero leaks: "no secret value ever reaches stdout, stderr, logs, error
 * messages, argv of a child process, or a file other than its output".
 *
 * Every value carries a unique canary token. Every command (write, plan,
 * check, exec, validate, policy, put, init) and every error path we can
 * trigger runs with each of text / --verbose / --log-format json / both.
 * Most runs go through `main(argv, io)` in this process (the real SDK over
 * HTTP to the emulator; hooks and exec's child are still real child
 * processes); the built binary is spawned where the process itself is what
 * is scanned: a hook's and exec's child's parent cmdline, put's stdin pipe.
 * We capture: stdout and stderr, the emulator's request log, the argv,
 * /proc/self/cmdline and environment of `verify` / `on_change` hooks and of
 * `exec`'s child, every new process's cmdline sampled from /proc while the
 * runs go on, and every file left in the work area. A canary may appear only in
 * its own output files (and in exec's child environment, and the inputs the
 * test wrote itself). Positive controls prove the scan finds canaries where
 * they belong.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CliResult } from '../helpers/cli.js';
import { runMain, type MainResult } from '../helpers/main.js';
import { cli, cliEnv, emulatorWith, KMS_ALIAS, OTHER_KMS_ALIAS, rmScratch, scratchDir, tempFiles, writeManifest, type Emulator } from './harness.js';
import { recordFigure } from './figures.js';
import { DEMO_CREDENTIAL } from '@ssm-materialize/emulator';

const token = (label: string) => `LEAK${label}Z${randomBytes(6).toString('hex')}`;
/** Canary tokens by role; plain [A-Za-z0-9] so no escaping (JSON, shell, YAML) can disguise them. */
const C = {
  apiKey: token('api'),
  dbPass: token('db'),
  pem: token('pem'),
  pathValue: token('path'),
  docker: token('docker'),
  nul: token('nul'),
  denied: token('denied'),
  otherKey: token('kms'),
  put: token('put'),
  initEnv: token('init'),
  oldContent: token('old'),
} as const;
const ALL = Object.values(C);

const VALUES: Record<string, string> = {
  '/leak/app/api-key': `sk-${C.apiKey}-"q" 'q' $HOME $(id) #h`,
  '/leak/app/db-pass': `p@ss ${C.dbPass} #hash\nline two\n`, // no CR: Node's .env parser cannot hold one (dotenv refuses it)
  '/leak/app/pem': `-----BEGIN PRIVATE KEY-----\nMIIE${C.pem}vQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n`,
  '/leak/env/mail/smtp-password': `smtp ${C.pathValue} ümlaut 👋`,
  '/leak/bad/newline': `${C.docker}\nsecond line`,
  '/leak/bad/nul': `${C.nul}\u0000tail`,
  '/leak/limited/secret': `denied ${C.denied}`,
  '/leak/other/key': `other key ${C.otherKey}`,
};
/** Canaries each successful main output may hold. */
const MAIN = [C.apiKey, C.dbPass, C.pem, C.pathValue];

const captured: Array<{ where: string; text: string }> = [];
const emulatorLog: string[] = [];
let emulator: Emulator;
let failing: Emulator;
let root: string;
let hook: string;
let hookLog: string;
let execDir: string;
let runs = 0;
let sampler: CmdlineSampler | undefined;
let sampledCmdlines = new Set<string>();

beforeAll(async () => {
  const log = (line: string) => emulatorLog.push(line);
  const keyOf = (n: string) => (n === '/leak/other/key' ? OTHER_KMS_ALIAS : KMS_ALIAS);
  const limited = {
    access_key_id: 'AKIALEAKLIMITED',
    secret_access_key: 'leak-limited',
    allow: { parameters: ['arn:aws:ssm:us-east-1:123456789012:parameter/leak/app/*'], kms_keys: [KMS_ALIAS] },
  };
  const credentials = [DEMO_CREDENTIAL, limited];
  emulator = await emulatorWith(VALUES, { credentials }, keyOf, log);
  failing = await emulatorWith(VALUES, { credentials, faults: { error_rate: 1 } }, keyOf, log);
  root = scratchDir('leaks');
  hook = join(root, 'hook.sh');
  hookLog = join(root, 'hook.log');
  execDir = join(root, 'exec');
  mkdirSync(execDir);
  // A hook that records everything a process can see about its own invocation, never the file's content.
  writeFileSync(
    hook,
    [
      '#!/bin/sh',
      `{ printf 'argv: %s\\n' "$0 $*"`,
      `  printf 'self cmdline: '; tr '\\0' ' ' < /proc/$$/cmdline; echo`,
      `  printf 'parent cmdline: '; tr '\\0' ' ' < /proc/$PPID/cmdline; echo`,
      `  printf 'environ: '; tr '\\0' ' ' < /proc/$$/environ; echo; } >> ${hookLog}`,
    ].join('\n') + '\n',
  );
  chmodSync(hook, 0o755);
  // ps, the way an attacker on the host would run it: every process's cmdline, all the time.
  sampler = sampleCmdlines(5);
});

afterAll(async () => {
  await sampler?.stop();
  await emulator?.close();
  await failing?.close();
  rmScratch(root);
});

const VARIANTS: string[][] = [[], ['--verbose'], ['--log-format', 'json'], ['--verbose', '--log-format', 'json']];
/** Error paths print the same error with or without --verbose; verbose adds the call details, so it covers both. */
const ERROR_VARIANTS: string[][] = [['--verbose'], ['--verbose', '--log-format', 'json']];

/** How a run reaches the CLI: `main` in this process, or the built binary as a child process. */
type Via = 'main' | 'spawn';
type RunResult = CliResult | MainResult;
let spawnedRuns = 0;

/** One run, kept for the scan. (In-process runs take turns: see test/helpers/main.ts.) */
async function once(via: Via, where: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<RunResult> {
  const r = via === 'spawn' ? await cli(args, env, { input }) : await runMain(args, { env, input });
  runs++;
  if (via === 'spawn') spawnedRuns++;
  captured.push({ where: `${where} (${via}) stdout`, text: r.stdout }, { where: `${where} (${via}) stderr`, text: r.stderr });
  return r;
}

async function run(
  label: string,
  args: string[],
  options: {
    env?: Record<string, string>;
    endpoint?: string;
    input?: string;
    code?: number | number[];
    variants?: string[][];
    via?: Via;
    spawnFirst?: boolean;
  } = {},
): Promise<RunResult[]> {
  const results: RunResult[] = [];
  for (const [i, variant] of (options.variants ?? VARIANTS).entries()) {
    const env = cliEnv(options.endpoint ?? emulator.url, { EXEC_DIR: execDir, ...options.env });
    const via = options.spawnFirst && i === 0 ? 'spawn' : (options.via ?? 'main');
    const r = await once(via, `${label} ${variant.join(' ')}`, [...args, ...variant], env, options.input);
    if (options.code !== undefined) expect([options.code].flat(), `${label} ${variant.join(' ')}: ${r.stderr}`).toContain(r.code);
    results.push(r);
  }
  return results;
}

let dirs = 0;
function outputsDir(): string {
  const d = join(root, `o${dirs++}`);
  mkdirSync(d, { mode: 0o700 });
  return d;
}

function mainManifest(dir: string, extra: { verify?: string; onChange?: string; formats?: string[]; values?: string } = {}): string {
  const formats = extra.formats ?? ['dotenv', 'json', 'yaml', 'shell', 'php', 'systemd'];
  const values = extra.values ?? '      API_KEY: api-key\n      DB_PASS: db-pass\n      PEM: pem\n';
  const hooks = `${extra.verify ? `    verify: '${extra.verify}'\n` : ''}${extra.onChange ? `    on_change: '${extra.onChange}'\n` : ''}`;
  const body = formats
    .map(
      (f) => `  - path: ${join(dir, `app.${f}`)}\n    format: ${f}\n${hooks}    values:\n${values}    paths:\n      - { path: /leak/env, recursive: true }\n`,
    )
    .join('');
  return writeManifest(join(root, `m${dirs++}`), 'materialize.yaml', `version: 1\nprefix: /leak/app\noutputs:\n${body}`);
}

describe('no canary outside its output', () => {
  it('every command and every error path, in text and json, quiet and verbose', async () => {
    // write (success) with hooks that record their argv and environment, then unchanged, then plan/check.
    // The first variant runs the built binary: its hooks' parent is the CLI process, whose cmdline they record.
    const okDirs: string[] = [];
    for (let i = 0; i < VARIANTS.length; i++) okDirs.push(outputsDir());
    const mains: string[] = [];
    for (const [i, variant] of VARIANTS.entries()) {
      const m = mainManifest(okDirs[i]!, { verify: `${hook} verify "$1"`, onChange: `${hook} on_change "$1"` });
      const r = await once(i === 0 ? 'spawn' : 'main', `write ${variant.join(' ')}`, ['write', '-m', m, ...variant], cliEnv(emulator.url));
      expect(r.code, r.stderr).toBe(0);
      mains.push(m);
    }
    const m = mains[0]!;
    await run('write (unchanged)', ['write', '-m', m], { code: 0 });
    await run('plan (up to date)', ['plan', '-m', m], { code: 0 });
    await run('check (up to date)', ['check', '-m', m], { code: 0 });
    await run('validate', ['validate', '-m', m], { code: 0 });
    await run('policy', ['policy', '-m', m, '--account', '123456789012', '--region', 'us-east-1', '--kms-key', KMS_ALIAS], { code: 0 });
    // plan/check against outputs whose old content (also secret) differs, or is corrupt.
    const driftDir = outputsDir();
    const drift = mainManifest(driftDir, { formats: ['dotenv', 'json', 'yaml'] });
    writeFileSync(join(driftDir, 'app.dotenv'), `API_KEY=${C.oldContent}\nGONE=${C.oldContent}\n`, { mode: 0o600 });
    writeFileSync(join(driftDir, 'app.json'), `{"API_KEY": "${C.oldContent}", broken`, { mode: 0o600 });
    writeFileSync(join(driftDir, 'app.yaml'), `API_KEY: [${C.oldContent}\n  : : "unterminated ${C.oldContent}\n`, { mode: 0o600 });
    await run('plan (drift, corrupt old files)', ['plan', '-m', drift], { code: 0 });
    await run('check (drift, corrupt old files)', ['check', '-m', drift], { code: 1 });

    // exec: values reach the child's environment (positive control) but not its argv (nor its parent's, the spawned CLI's).
    const execManifest = mainManifest(outputsDir(), { formats: ['dotenv'] });
    await run(
      'exec',
      [
        'exec',
        '-m',
        execManifest,
        '--',
        'sh',
        '-c',
        'env > "$EXEC_DIR/env.$$"; tr "\\0" " " < /proc/$$/cmdline > "$EXEC_DIR/argv.$$"; tr "\\0" " " < /proc/$PPID/cmdline >> "$EXEC_DIR/argv.$$"',
      ],
      { code: 0, spawnFirst: true },
    );
    await run('exec (child missing)', ['exec', '-m', execManifest, '--', '/nonexistent/child'], { code: 127, variants: ERROR_VARIANTS });
    await run('exec (no command)', ['exec', '-m', execManifest], { code: 2, variants: ERROR_VARIANTS });
    const conflict = outputsDir();
    const conflicting = writeManifest(
      join(root, `m${dirs++}`),
      'materialize.yaml',
      `version: 1\noutputs:\n  - { path: ${conflict}/a.env, format: dotenv, values: { K: /leak/app/api-key } }\n  - { path: ${conflict}/b.env, format: dotenv, values: { K: /leak/app/db-pass } }\n`,
    );
    await run('exec (conflicting key)', ['exec', '-m', conflicting, '--', 'true'], { code: 2, variants: ERROR_VARIANTS });

    // put: value from stdin (a real pipe for the first variant), never echoed; a second put without --overwrite fails.
    for (const [i, variant] of VARIANTS.entries()) {
      const name = `/leak/put/v${i}`;
      const via = i === 0 ? 'spawn' : 'main';
      const r = await once(via, `put ${variant}`, ['put', name, '--kms-key', KMS_ALIAS, ...variant], cliEnv(emulator.url), `${C.put}\n`);
      const again = await once(via, `put again ${variant}`, ['put', name, '--kms-key', KMS_ALIAS, ...variant], cliEnv(emulator.url), `${C.put}-again\n`);
      expect(r.code, r.stderr).toBe(0);
      expect(again.code).not.toBe(0);
    }
    const putDir = outputsDir();
    const putCheck = writeManifest(
      join(root, `m${dirs++}`),
      'materialize.yaml',
      `version: 1\noutputs:\n  - { path: ${putDir}/put.json, format: json, values: { V0: /leak/put/v0, V3: /leak/put/v3 } }\n`,
    );
    await run('write (put values)', ['write', '-m', putCheck], { code: 0 });
    expect(JSON.parse(readFileSync(join(putDir, 'put.json'), 'utf8'))).toEqual({ V0: C.put, V3: C.put });

    // init --from .env: proposes names and put commands, never the values.
    // (--prefix given: the default `/myapp/${STAGE}` is refused by init's own check; reported separately.)
    for (const [i, variant] of VARIANTS.entries()) {
      const initDir = outputsDir();
      writeFileSync(join(initDir, 'input.env'), `API_KEY=${C.initEnv}\nDB_PASSWORD="${C.initEnv} x"\n`);
      const r = await once(
        'main',
        `init ${variant}`,
        ['init', '--from', join(initDir, 'input.env'), '--prefix', '/leak/init', '-m', join(initDir, `init${i}.yaml`), ...variant],
        cliEnv(emulator.url),
      );
      expect(r.code, r.stderr).toBe(0);
    }

    // Error paths.
    const errDir = outputsDir();
    const one = (name: string, body: string) => writeManifest(join(root, `m${dirs++}`), `${name}.yaml`, `version: 1\nprefix: /leak/app\noutputs:\n${body}`);
    const out = (format: string, values: string, extra = '') =>
      `  - path: ${join(errDir, `${format}.${dirs++}`)}\n    format: ${format}\n${extra}    values: { ${values} }\n`;
    const limited = { AWS_ACCESS_KEY_ID: 'AKIALEAKLIMITED', AWS_SECRET_ACCESS_KEY: 'leak-limited' };
    const unsafe = join(root, 'unsafe');
    mkdirSync(unsafe);
    chmodSync(unsafe, 0o777);
    mkdirSync(join(errDir, 'is-a-dir.env'));
    await Promise.all([
      run('missing parameter', ['write', '-m', one('missing', out('dotenv', 'A: api-key, B: nope'))], { variants: ERROR_VARIANTS, code: 3 }),
      run('access denied', ['write', '-m', one('denied', out('dotenv', 'A: api-key, B: /leak/limited/secret'))], {
        variants: ERROR_VARIANTS,
        code: 4,
        env: limited,
      }),
      run('kms denied', ['write', '-m', one('kms', out('dotenv', 'A: /leak/other/key'))], { variants: ERROR_VARIANTS, code: 4, env: limited }),
      run('bad credentials', ['write', '-m', one('creds', out('dotenv', 'A: api-key'))], {
        variants: ERROR_VARIANTS,
        code: 4,
        env: { AWS_SECRET_ACCESS_KEY: 'wrong-secret' },
      }),
      run('store unavailable', ['write', '-m', one('unavailable', out('dotenv', 'A: api-key')), '--max-attempts', '1'], {
        variants: ERROR_VARIANTS,
        code: 5,
        endpoint: failing.url,
      }),
      run('docker newline', ['write', '-m', one('docker', out('docker', 'A: api-key, B: /leak/bad/newline'))], { variants: ERROR_VARIANTS, code: 6 }),
      run('shell NUL', ['write', '-m', one('nul', out('shell', 'A: /leak/bad/nul') + out('json', 'A: api-key'))], { variants: ERROR_VARIANTS, code: 6 }),
      run(
        'verify prints the file and fails',
        ['write', '-m', one('verify', out('dotenv', 'A: api-key, P: pem', `    verify: 'cat "$1"; cat "$1" >&2; exit 1'\n`))],
        { variants: ERROR_VARIANTS, code: 6 },
      ),
      run(
        'on_change prints the file and fails',
        ['write', '-m', one('onchange', out('json', 'A: api-key', `    on_change: 'cat "$1"; cat "$1" >&2; echo "$(cat "$1")" >&2; exit 3'\n`))],
        { variants: ERROR_VARIANTS, code: [6, 0] },
      ),
      run('verify cannot start', ['write', '-m', one('verify2', out('dotenv', 'A: api-key', `    verify: '/nonexistent/verifier "$1"'\n`))], {
        variants: ERROR_VARIANTS,
        code: 6,
      }),
      run('unsafe directory', ['write', '-m', one('unsafe', `  - { path: ${unsafe}/x.env, format: dotenv, values: { A: api-key } }\n`)], {
        variants: ERROR_VARIANTS,
        code: 6,
      }),
      run('output is a directory', ['write', '-m', one('isdir', `  - { path: ${errDir}/is-a-dir.env, format: dotenv, values: { A: api-key } }\n`)], {
        variants: ERROR_VARIANTS,
        code: 6,
      }),
      run(
        'key collision',
        [
          'write',
          '-m',
          one(
            'collide',
            `  - { path: ${errDir}/c.json, format: json, values: { MAIL_SMTP_PASSWORD: api-key }, paths: [ { path: /leak/env, recursive: true } ] }\n`,
          ),
        ],
        { variants: ERROR_VARIANTS, code: 2 },
      ),
      run('invalid manifest', ['write', '-m', one('invalid', '  - { path: x, format: nope }\n')], { variants: ERROR_VARIANTS, code: 2 }),
      run('usage error', ['write', '-m', one('usage', out('dotenv', 'A: api-key')), '--timeout', '-1'], { variants: ERROR_VARIANTS, code: 2 }),
    ]);

    // Every CLI run's own output, and the emulator's log.
    const hits: string[] = [];
    const scan = (where: string, text: string, allowed: readonly string[] = []) => {
      for (const c of ALL) if (!allowed.includes(c) && text.includes(c)) hits.push(`${c} in ${where}`);
    };
    for (const { where, text } of captured) scan(where, text);
    scan('emulator log', emulatorLog.join('\n'));
    expect(emulatorLog.length).toBeGreaterThan(50);

    // Hook argv, cmdline and environment (values are not the hooks' business).
    const hookText = readFileSync(hookLog, 'utf8');
    expect(hookText).toMatch(/argv: .*verify/);
    expect(hookText).toMatch(/argv: .*on_change/);
    scan('verify/on_change argv, cmdline and environment', hookText);

    // exec: values in the child's environment (positive control), never in any argv.
    const execFiles = readdirSync(execDir);
    const envDumps = execFiles.filter((f) => f.startsWith('env.')).map((f) => readFileSync(join(execDir, f), 'utf8'));
    expect(envDumps).toHaveLength(VARIANTS.length);
    for (const dump of envDumps) for (const c of [C.apiKey, C.dbPass, C.pem, C.pathValue]) expect(dump).toContain(c);
    for (const f of execFiles.filter((x) => x.startsWith('argv.'))) scan(`exec child argv ${f}`, readFileSync(join(execDir, f), 'utf8'));

    // Every process's cmdline seen while all of this ran.
    sampledCmdlines = await sampler!.stop();
    expect(sampledCmdlines.size).toBeGreaterThan(20);
    scan('/proc/*/cmdline samples', [...sampledCmdlines].join('\n'));

    // Every file in the work area: canaries only in their outputs and in the inputs the test wrote.
    const files = walk(root);
    let outputsWithCanaries = 0;
    for (const file of files) {
      const rel = relative(root, file);
      const text = readFileSync(file, 'latin1');
      const base = rel.split('/').pop()!;
      let allowed: readonly string[] = [];
      if (okDirs.some((d) => file.startsWith(d + '/')) && base.startsWith('app.')) allowed = MAIN;
      else if (file.startsWith(driftDir + '/')) allowed = [C.oldContent];
      else if (file.startsWith(execDir + '/') && base.startsWith('env.')) allowed = MAIN;
      else if (base === 'put.json') allowed = [C.put];
      else if (base === 'input.env') allowed = [C.initEnv];
      else if (/^(json|dotenv)\.\d+$/.test(base) && file.startsWith(errDir + '/')) allowed = [C.apiKey]; // the on_change case: written, then its hook failed
      if (allowed === MAIN && base.startsWith('app.') && MAIN.every((c) => text.includes(c))) outputsWithCanaries++;
      scan(`file ${rel}`, text, allowed);
    }
    expect(outputsWithCanaries, 'positive control: the main outputs hold every canary').toBe(VARIANTS.length * 6);
    expect(files.filter((f) => tempFiles(join(f, '..')).length > 0)).toEqual([]);

    recordFigure('leaks', 'CLI runs scanned', runs);
    recordFigure('leaks', 'of them spawned', spawnedRuns);
    recordFigure('leaks', 'canaries', ALL.length);
    recordFigure('leaks', 'files scanned', files.length);
    recordFigure('leaks', 'process cmdlines sampled', sampledCmdlines.size);
    recordFigure('leaks', 'emulator log lines', emulatorLog.length);
    recordFigure('leaks', 'leaks found', hits.length);
    expect(hits).toEqual([]);
  }, 300_000); // ~90 CLI runs, 4 of them spawned
});

interface CmdlineSampler {
  /** Stops sampling; every distinct cmdline seen. */
  stop(): Promise<Set<string>>;
}

/**
 * Reads every new process's /proc/PID/cmdline each `intervalMs`, on its own
 * thread: a scan takes milliseconds, and on this thread it would hold up the
 * in-process runs it watches. Processes that were running before the test
 * began (other than this one) cannot hold a canary and are left out, which
 * keeps a scan short on a busy machine.
 */
function sampleCmdlines(intervalMs: number): CmdlineSampler {
  const before = readdirSync('/proc').filter((pid) => /^\d+$/.test(pid) && Number(pid) !== process.pid);
  const worker = new Worker(
    `const { readdirSync, readFileSync } = require('node:fs');
     const { parentPort, workerData } = require('node:worker_threads');
     const skip = new Set(workerData.skip);
     const seen = new Set();
     const timer = setInterval(() => {
       for (const pid of readdirSync('/proc')) {
         if (!/^\\d+$/.test(pid) || skip.has(pid)) continue;
         try {
           seen.add(readFileSync('/proc/' + pid + '/cmdline', 'latin1').replace(/\\0/g, ' '));
         } catch {
           /* gone */
         }
       }
     }, workerData.intervalMs);
     parentPort.once('message', () => {
       clearInterval(timer);
       parentPort.postMessage([...seen]);
     });`,
    { eval: true, workerData: { skip: before, intervalMs } },
  );
  let stopped: Promise<Set<string>> | undefined;
  return {
    stop() {
      stopped ??= new Promise<Set<string>>((resolve, reject) => {
        worker.once('message', (seen: string[]) => resolve(new Set(seen)));
        worker.once('error', reject);
        worker.postMessage('stop');
      }).finally(() => worker.terminate());
      return stopped;
    },
  };
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) out.push(...walk(p));
    else if (st.isFile() && existsSync(p)) out.push(p);
  }
  return out;
}
