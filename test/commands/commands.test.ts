/**
 * plan, check, write, exec, policy, put, init, validate in-process through
 * `main(argv, io)`, with the real SDK over HTTP to the in-process emulator.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, statSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { APP_KEY_ALIAS, useCanaryEmulator } from '../helpers/emulator.js';
import { readDotenv } from '../helpers/consumers.js';
import { useTempDir } from '../helpers/tmp.js';

const CANARY = 'CANARY';
const tempDir = useTempDir();
const { main: cli } = useCanaryEmulator(
  [
    { name: '/cmd/a', type: 'SecureString', key_id: APP_KEY_ALIAS, value: 'CANARY-a' },
    { name: '/cmd/b', type: 'String', value: 'CANARY-b' },
    { name: '/cmd/env/C', type: 'String', value: 'CANARY-c' },
  ],
  CANARY,
);

function setup(values = 'A: /cmd/a\n      B: /cmd/b'): { dir: string; manifest: string } {
  const dir = tempDir();
  const manifest = join(dir, 'm.yaml');
  writeFileSync(manifest, `version: 1\noutputs:\n  - path: app.env\n    format: dotenv\n    values:\n      ${values}\n    paths: [ /cmd/env ]\n`);
  return { dir, manifest };
}

describe('plan and check', () => {
  it('lists keys added, removed and changed, never values, and writes nothing', async () => {
    const { dir, manifest } = setup();
    const first = await cli(['plan', '-m', manifest]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('new file, mode 0600, 3 keys');
    expect(existsSync(join(dir, 'app.env'))).toBe(false);

    expect((await cli(['check', '-m', manifest])).code).toBe(1);
    expect((await cli(['write', '-m', manifest])).code).toBe(0);
    const upToDate = await cli(['check', '-m', manifest]);
    expect(upToDate.code).toBe(0);
    expect(upToDate.stdout).toContain('up to date');

    writeFileSync(join(dir, 'app.env'), 'A=old\nGONE=x\nC=CANARY-c\n', { mode: 0o600 });
    const plan = await cli(['plan', '-m', manifest, '--log-format', 'json']);
    expect(plan.code).toBe(0);
    const events = plan.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events[0]).toMatchObject({ event: 'plan_output', status: 'changed', added: ['B'], removed: ['GONE'], changed: ['A'], unchanged: 1 });
    expect(events[1]).toMatchObject({ event: 'plan', would_change: 1 });
    expect(readFileSync(join(dir, 'app.env'), 'utf8')).toBe('A=old\nGONE=x\nC=CANARY-c\n');
    expect((await cli(['check', '-m', manifest])).code).toBe(1);
  });

  it('exits 3 for a missing parameter, like write', async () => {
    const { manifest } = setup('A: /cmd/missing');
    const result = await cli(['check', '-m', manifest]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('/cmd/missing');
  });
});

describe('--log-format json', () => {
  it('emits one JSON object per line: start, fetched, output, done; errors with code and exit code', async () => {
    const { manifest } = setup();
    const ok = await cli(['write', '-m', manifest, '--log-format', 'json', '--verbose']);
    expect(ok.code).toBe(0);
    const events = (ok.stderr + ok.stdout)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; [k: string]: unknown });
    const names = events.map((e) => e.event);
    expect(names).toEqual(expect.arrayContaining(['start', 'fetch_start', 'api_call', 'fetched', 'output', 'done']));
    expect(events.find((e) => e.event === 'fetched')).toMatchObject({ names: 2, calls: { GetParameters: 1, GetParametersByPath: 1 } });
    expect(events.find((e) => e.event === 'output')).toMatchObject({ format: 'dotenv', keys: 3, mode: '0600', changed: true, reasons: ['new'] });

    const missing = setup('A: /cmd/nope');
    const failed = await cli(['write', '-m', missing.manifest, '--log-format', 'json']);
    expect(failed.code).toBe(3);
    const error = failed.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((e) => e.event === 'error');
    expect(error).toMatchObject({ level: 'error', code: 'missing_parameters', exit_code: 3 });
    expect(String(error?.message)).toContain('/cmd/nope');
    expect(String(error?.hint)).toContain('optional');
  });
});

describe('verify and on_change', () => {
  it('verify sees the new temp file; failure aborts with exit 6 and leaves the old file; on_change runs only on change', async () => {
    const dir = tempDir();
    const manifest = join(dir, 'm.yaml');
    const log = join(dir, 'hooks.log');
    const write = (verify: string) =>
      writeFileSync(
        manifest,
        `version: 1\noutputs:\n  - path: app.env\n    format: dotenv\n    values: { A: /cmd/a }\n    verify: ${JSON.stringify(verify)}\n    on_change: 'echo "changed $SSM_MATERIALIZE_OUTPUT" >> ${log}'\n`,
      );
    write(`grep -q '^A=' "$1" && echo "verify $# $(basename "$1" | cut -c1-25)" >> ${log}`);
    expect((await cli(['write', '-m', manifest])).code).toBe(0);
    expect(readFileSync(log, 'utf8')).toBe(`verify 1 .app.env.ssm-materialize.\nchanged ${join(dir, 'app.env')}\n`);
    expect((await cli(['write', '-m', manifest])).code).toBe(0);
    expect(readFileSync(log, 'utf8').split('\n')).toHaveLength(3); // unchanged: neither hook ran

    writeFileSync(join(dir, 'app.env'), 'A=old\n', { mode: 0o600 });
    const before = statSync(join(dir, 'app.env'));
    write('exit 3');
    const failed = await cli(['write', '-m', manifest]);
    expect(failed.code).toBe(6);
    expect(failed.stderr).toContain('verify command exited with 3');
    expect(readFileSync(join(dir, 'app.env'), 'utf8')).toBe('A=old\n');
    expect(statSync(join(dir, 'app.env')).ino).toBe(before.ino);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a failing on_change exits 6 and says the new file is in place', async () => {
    const dir = tempDir();
    const manifest = join(dir, 'm.yaml');
    writeFileSync(manifest, `version: 1\noutputs:\n  - path: app.env\n    format: dotenv\n    values: { A: /cmd/a }\n    on_change: 'exit 9'\n`);
    const result = await cli(['write', '-m', manifest]);
    expect(result.code).toBe(6);
    expect(result.stderr).toContain('on_change command exited with 9 (the new file is in place)');
    expect(readDotenv(readFileSync(join(dir, 'app.env'), 'utf8'))).toEqual({ A: 'CANARY-a' });
  });
});

describe('exec', () => {
  it('runs the command with the values in its environment, writes nothing, returns its exit code', async () => {
    const { dir, manifest } = setup();
    const probe = join(dir, 'probe.json');
    const script = `require('fs').writeFileSync(${JSON.stringify(probe)}, JSON.stringify({A: process.env.A, B: process.env.B, C: process.env.C})); process.exit(7)`;
    const result = await cli(['exec', '-m', manifest, '--', process.execPath, '-e', script]);
    expect(result.code).toBe(7);
    expect(JSON.parse(readFileSync(probe, 'utf8'))).toEqual({ A: 'CANARY-a', B: 'CANARY-b', C: 'CANARY-c' });
    expect(readdirSync(dir).sort()).toEqual(['m.yaml', 'probe.json']);
  });

  it('needs a command, and reports a missing one with 127', async () => {
    const { manifest } = setup();
    expect((await cli(['exec', '-m', manifest])).code).toBe(2);
    expect((await cli(['exec', '-m', manifest, '--', '/no/such/binary'])).code).toBe(127);
  });

  it('a command it cannot run is an error like any other: named, 127 or 126, and a JSON error event', async () => {
    const { dir, manifest } = setup();
    const notExecutable = join(dir, 'not-executable.sh');
    writeFileSync(notExecutable, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    for (const [command, code] of [
      ['no-such-command-anywhere', 127],
      ['/no/such/binary', 127],
      [notExecutable, 126],
    ] as const) {
      const text = await cli(['exec', '-m', manifest, '--', command]);
      expect(text.code).toBe(code);
      expect(text.stderr).toContain(`cannot run ${command}`);
      const json = await cli(['exec', '-m', manifest, '--log-format', 'json', '--', command]);
      expect(json.code).toBe(code);
      const events = json.stderr
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(events.find((e) => e.event === 'error')).toMatchObject({ code: 'command_not_run', exit_code: code, command });
    }
  });
});

describe('policy', () => {
  it('prints exact ARNs, path ARNs and a conditioned kms:Decrypt', async () => {
    const { manifest } = setup('A: /cmd/a:3\n      B: /cmd/b');
    const result = await cli(['policy', '-m', manifest, '--account', '123456789012', '--region', 'eu-west-1', '--kms-key', 'alias/MyApplicationKey']);
    expect(result.code).toBe(0);
    const policy = JSON.parse(result.stdout) as {
      Statement: Array<{ Action: unknown; Resource: unknown; Condition?: Record<string, Record<string, unknown>> }>;
    };
    expect(policy.Statement[0]).toMatchObject({
      Action: ['ssm:GetParameters', 'ssm:GetParameter'],
      Resource: ['arn:aws:ssm:eu-west-1:123456789012:parameter/cmd/a', 'arn:aws:ssm:eu-west-1:123456789012:parameter/cmd/b'],
    });
    expect(policy.Statement[1]).toMatchObject({
      Action: 'ssm:GetParametersByPath',
      Resource: ['arn:aws:ssm:eu-west-1:123456789012:parameter/cmd/env', 'arn:aws:ssm:eu-west-1:123456789012:parameter/cmd/env/*'],
    });
    expect(policy.Statement[2]).toMatchObject({ Action: 'kms:Decrypt', Resource: 'arn:aws:kms:eu-west-1:123456789012:key/*' });
    expect(policy.Statement[2]!.Condition!['ForAnyValue:StringEquals']).toEqual({ 'kms:ResourceAliases': 'alias/MyApplicationKey' });
    expect(policy.Statement[2]!.Condition!.StringEquals).toEqual({ 'kms:ViaService': 'ssm.eu-west-1.amazonaws.com' });
    const bad = await cli(['policy', '-m', manifest, '--account', '12', '--region', 'eu-west-1']);
    expect(bad.code).toBe(2);
  });
});

describe('put', () => {
  it('stores a value read from stdin, refuses to overwrite without --overwrite', async () => {
    const secret = 'CANARY-put-value';
    const first = await cli(['put', '/cmd/new', '--kms-key', 'alias/MyApplicationKey'], `${secret}\n`);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('version 1');
    const again = await cli(['put', '/cmd/new'], `${secret}-2`);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--overwrite');
    const over = await cli(['put', '/cmd/new', '--overwrite'], `${secret}-2`);
    expect(over.stdout).toContain('version 2');

    const { dir, manifest } = setup('A: /cmd/new');
    expect((await cli(['write', '-m', manifest])).code).toBe(0);
    expect(readDotenv(readFileSync(join(dir, 'app.env'), 'utf8')).A).toBe(`${secret}-2`);
    expect((await cli(['put', 'bad//name'], 'x')).code).toBe(2);
  });

  it('a value typed on the command line is refused without being echoed, and nothing is stored', async () => {
    // The canary check of useCanaryEmulator covers every run's output; the value is also checked here.
    for (const argv of [
      ['put', '/cmd/argv', 'CANARY-on-argv'],
      ['put', '/cmd/argv', '-v', 'CANARY-on-argv', 'CANARY-2'],
      ['put', '/cmd/argv', 'CANARY-on-argv', '--type', 'String'],
    ]) {
      const r = await cli(argv, 'from-stdin');
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/never from the command line: \d words? after the name, not shown and not stored/);
      expect(r.stderr + r.stdout).not.toContain('CANARY-on-argv');
    }
    const { manifest } = setup('A: /cmd/argv');
    expect((await cli(['write', '-m', manifest])).code).toBe(3);
  });
});

describe('init', () => {
  it('writes a starter manifest that validates, and proposes put commands without values', async () => {
    const dir = tempDir();
    const dotenvFile = join(dir, '.env');
    writeFileSync(dotenvFile, 'API_KEY=CANARY-init\nDB_PASSWORD=CANARY-init2\n');
    const manifest = join(dir, 'materialize.yaml');
    const result = await cli(['init', '--from', dotenvFile, '-m', manifest, '--prefix', '/myapp/prod']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ssm-materialize put /myapp/prod/API_KEY --type SecureString');
    expect(statSync(manifest).isFile()).toBe(true);
    expect((await cli(['validate', '-m', manifest])).code).toBe(0);
    expect((await cli(['init', '-m', manifest])).code).toBe(2);
  });
});
