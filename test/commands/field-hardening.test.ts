/**
 * Issue 8, items 5-12: field hardening, run in-process through `main(argv, io)`
 * against the in-process emulator (real SDK, real HTTP on loopback).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startEmulator, type RunningEmulator } from '@ssm-materialize/emulator';
import { APP_KEY_ALIAS } from '../helpers/emulator.js';
import { mainEnv, runCliInProcess as runMain, type MainResult } from '../helpers/main.js';
import { useTempDir } from '../helpers/tmp.js';

const CANARY = 'H8B-CANARY';
let emulator: RunningEmulator;
const runs: MainResult[] = [];

beforeAll(async () => {
  emulator = await startEmulator({
    port: 0,
    seed: {
      kms_keys: [{ id: '1234abcd-12ab-34cd-56ef-1234567890ab', aliases: [APP_KEY_ALIAS] }],
      parameters: [
        { name: '/app/secret', type: 'SecureString', key_id: APP_KEY_ALIAS, value: `${CANARY}-secret` },
        { name: '/app/plain', type: 'String', value: `${CANARY}-plain` },
        { name: '/app/env/token', type: 'SecureString', value: `${CANARY}-token` },
      ],
    },
  });
});
afterAll(async () => {
  await emulator?.close();
  for (const r of runs) {
    expect(r.stdout).not.toContain(CANARY);
    expect(r.stderr).not.toContain(CANARY);
  }
});

const tempDir = useTempDir();

async function cli(args: string[], extra: Record<string, string | undefined> = {}): Promise<MainResult> {
  const result = await runMain(args, mainEnv(emulator.url, extra));
  runs.push(result);
  return result;
}

function manifestIn(dir: string, text: string): string {
  const file = join(dir, 'm.yaml');
  writeFileSync(file, text);
  return file;
}

describe('modes', () => {
  it('refuses a world-writable mode offline, naming file and line', async () => {
    const dir = tempDir();
    const m = manifestIn(dir, `version: 1\noutputs:\n  - path: out.env\n    format: dotenv\n    mode: "0666"\n    values: { PLAIN: /app/plain }\n`);
    const validate = await cli(['validate', '-m', m]);
    expect(validate.code).toBe(2);
    expect(validate.stderr).toContain(`${m}:5`);
    expect(validate.stderr).toMatch(/0666.*every user on the host write/);
    const write = await cli(['write', '-m', m]);
    expect(write.code).toBe(2);
    // Refused before any fetch.
    expect(emulator.counters().operations['GetParameters'] ?? 0).toBe(0);
  });

  it('refuses a SecureString in a world-readable file unless the output opts in', async () => {
    const dir = tempDir();
    const refused = manifestIn(
      dir,
      `version: 1\noutputs:\n  - { path: open.env, format: dotenv, mode: "0644", values: { S: /app/secret, P: /app/plain } }\n  - { path: open2.env, format: dotenv, mode: "0604", paths: [ /app/env ] }\n`,
    );
    const r = await cli(['write', '-m', refused]);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain(`${join(dir, 'open.env')} (mode 0644) would receive SecureString values: S`);
    expect(r.stderr).toContain(`${join(dir, 'open2.env')} (mode 0604) would receive SecureString values: TOKEN`);
    expect(existsSync(join(dir, 'open.env'))).toBe(false);

    const plainOnly = manifestIn(dir, `version: 1\noutputs:\n  - { path: plain.env, format: dotenv, mode: "0644", values: { P: /app/plain } }\n`);
    expect((await cli(['write', '-m', plainOnly])).code).toBe(0);

    const optedIn = manifestIn(
      dir,
      `version: 1\noutputs:\n  - { path: open.env, format: dotenv, mode: "0644", world_readable_secrets: true, values: { S: /app/secret } }\n`,
    );
    const ok = await cli(['write', '-m', optedIn]);
    expect(ok.code).toBe(0);
    expect(statSync(join(dir, 'open.env')).mode & 0o777).toBe(0o644);
  });
});

describe('input checks', () => {
  const simple = (dir: string) => manifestIn(dir, `version: 1\noutputs:\n  - { path: out.env, format: dotenv, values: { P: /app/plain } }\n`);

  it('an --endpoint-url without a scheme or otherwise invalid is a usage error with a hint', async () => {
    const m = simple(tempDir());
    for (const url of ['127.0.0.1:4583', 'localhost', 'http://', 'ftp://example.com']) {
      const r = await cli(['write', '-m', m, '--endpoint-url', url]);
      expect(r.code, url).toBe(2);
      expect(r.stderr, url).toContain('--endpoint-url');
      expect(r.stderr, url).toContain('http://127.0.0.1:4583');
      expect(r.stderr, url).not.toContain('TypeError');
    }
  });

  it('https:// to a plain-HTTP port says the endpoint speaks plain HTTP', async () => {
    const dir = tempDir();
    const r = await cli(['write', '-m', simple(dir), '--endpoint-url', emulator.url.replace('http://', 'https://'), '--max-attempts', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the endpoint speaks plain HTTP? use http://');
    expect(existsSync(join(dir, 'out.env'))).toBe(false);
  });

  it('a --timeout beyond the timer limit is a usage error, not an instant timeout', async () => {
    const r = await cli(['write', '-m', simple(tempDir()), '--timeout', String(2 ** 31)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--timeout must be at most 2147483 seconds');
  });

  it('a stray -- is refused before the command runs', async () => {
    const dir = tempDir();
    const r = await cli(['init', '-m', join(dir, 'm.yaml'), '--', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('only for `exec`');
    expect(existsSync(join(dir, 'm.yaml'))).toBe(false);
  });

  it('AWS_DEFAULT_REGION is honoured when AWS_REGION is unset, and AWS_REGION wins over it', async () => {
    const dir = tempDir();
    const m = simple(dir);
    const r = await cli(['write', '-m', m], { AWS_REGION: undefined, AWS_DEFAULT_REGION: 'us-east-1' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // The emulator checks the region in the signature: a wrong winner would be refused.
    const both = await cli(['check', '-m', m], { AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'eu-west-1' });
    expect(both.code).toBe(0);
  });
});

describe('aliases, exec keys, hook hints', () => {
  it('two outputs that reach one file through a symlinked directory are refused offline', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'real'), { mode: 0o700 });
    symlinkSync(join(dir, 'real'), join(dir, 'alias'));
    const m = manifestIn(
      dir,
      `version: 1\noutputs:\n  - { path: real/out.env, format: dotenv, values: { P: /app/plain } }\n  - { path: alias/out.env, format: dotenv, values: { Q: /app/plain } }\n`,
    );
    const r = await cli(['validate', '-m', m]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${m}:4`);
    expect(r.stderr).toContain(
      `output path ${join(dir, 'alias/out.env')} is also written by the output on line 3 (${join(dir, 'real/out.env')}: the same file through a symbolic link)`,
    );
  });

  it('exec passes keys named constructor and toString without a false conflict', async () => {
    const dir = tempDir();
    const m = manifestIn(
      dir,
      `version: 1\noutputs:\n  - { path: a.env, format: dotenv, values: { constructor: /app/plain } }\n  - { path: b.env, format: dotenv, values: { toString: /app/secret } }\n`,
    );
    const seen = join(dir, 'seen');
    const r = await cli(['exec', '-m', m, '--', '/bin/sh', '-c', 'printf "%s|%s" "$constructor" "$toString" > "$0"', seen]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(seen, 'utf8')).toBe(`${CANARY}-plain|${CANARY}-secret`);
  });

  it('the "run it by hand" hint of a failed hook is valid shell that runs the same command', async () => {
    const dir = tempDir();
    const hook = `printf '%s|%s' "it's" "$1" > "$1.hook"; exit 7`;
    const m = manifestIn(
      dir,
      `version: 1\noutputs:\n  - path: out.env\n    format: dotenv\n    values: { P: /app/plain }\n    on_change: ${JSON.stringify(hook)}\n`,
    );
    const r = await cli(['write', '-m', m, '--log-format', 'json']);
    expect(r.code).toBe(6);
    const error = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; hint?: string })
      .find((e) => e.event === 'error');
    const pasted = error?.hint?.replace(/^.*run it by hand to see its output: /s, '') ?? '';
    expect(pasted).toContain('sh -c');
    unlinkSync(join(dir, 'out.env.hook'));
    const status = spawnSync('/bin/sh', ['-c', pasted], { cwd: dir });
    expect(status.status).toBe(7);
    expect(readFileSync(join(dir, 'out.env.hook'), 'utf8')).toBe(`it's|${join(dir, 'out.env')}`);
  });
});

describe('on_change hooks are never lost', () => {
  it("runs every changed output's hook, reports all failures, and retries a failed hook until it succeeds", async () => {
    const dir = tempDir();
    const a = join(dir, 'a.env');
    const b = join(dir, 'b.env');
    const c = join(dir, 'c.env');
    const flag = join(dir, 'a-may-succeed');
    const m = manifestIn(
      dir,
      [
        'version: 1',
        'outputs:',
        `  - { path: a.env, format: dotenv, values: { S: /app/secret }, on_change: 'test -e ${flag} && touch "$1.ran"' }`,
        `  - { path: b.env, format: dotenv, values: { P: /app/plain }, on_change: 'touch "$1.ran"' }`,
        `  - { path: c.env, format: dotenv, values: { P: /app/plain }, on_change: 'exit 3' }`,
        '',
      ].join('\n'),
    );
    const first = await cli(['write', '-m', m]);
    expect(first.code).toBe(6);
    expect(first.stderr).toContain('2 on_change hooks failed');
    expect(first.stderr).toContain(`${a}: on_change command exited with 1`);
    expect(first.stderr).toContain(`${c}: on_change command exited with 3`);
    expect(existsSync(`${b}.ran`)).toBe(true); // B ran although A (before it) failed
    expect(first.stdout).toContain(`${a} (dotenv, 1 key, mode 0600) on_change FAILED (pending)`);
    const marker = join(dir, '.a.env.ssm-materialize.pending');
    expect(statSync(marker).mode & 0o777).toBe(0o600);
    expect(readFileSync(marker, 'utf8')).not.toContain(CANARY);
    expect(existsSync(join(dir, '.b.env.ssm-materialize.pending'))).toBe(false);

    // Nothing changed since, and the hook still fails: still pending, still exit 6.
    rmSync(`${b}.ran`);
    const second = await cli(['write', '-m', m]);
    expect(second.code).toBe(6);
    expect(second.stdout).toContain(`unchanged ${a}`);
    expect(existsSync(marker)).toBe(true);
    expect(existsSync(`${b}.ran`)).toBe(false); // B's hook succeeded before: not run again
    const check = await cli(['check', '-m', m]);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(`! ${a} (dotenv): up to date, 1 keys; its on_change failed earlier`);

    writeFileSync(flag, '');
    writeFileSync(m, readFileSync(m, 'utf8').replace("on_change: 'exit 3'", "on_change: 'true'"));
    const third = await cli(['write', '-m', m]);
    expect(third.stderr).toBe('');
    expect(third.code).toBe(0);
    expect(third.stdout).toContain(`unchanged ${a} (dotenv, 1 key, mode 0600) on_change retried`);
    expect(existsSync(`${a}.ran`)).toBe(true);
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(join(dir, '.c.env.ssm-materialize.pending'))).toBe(false);

    expect((await cli(['check', '-m', m])).code).toBe(0);
    rmSync(`${a}.ran`);
    const fourth = await cli(['write', '-m', m]);
    expect(fourth.code).toBe(0);
    expect(existsSync(`${a}.ran`)).toBe(false);
  });
});

describe('users and groups through the name service', () => {
  /** A getent that knows one directory (LDAP-like) user and group that /etc/passwd and /etc/group do not. */
  function fakeGetent(dir: string): string {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    writeFileSync(
      join(bin, 'getent'),
      `#!/bin/sh\ndb="$1"; shift; [ "$1" = -- ] && shift\ncase "$db $1" in\n  "passwd ldap-user") echo "ldap-user:*:${uid}:${gid}:LDAP:/:/bin/sh" ;;\n  "group ldap-group") echo "ldap-group:*:${gid}:" ;;\n  *) exit 2 ;;\nesac\n`,
      { mode: 0o755 },
    );
    return bin;
  }

  it('resolves names getent knows (not in /etc files) and shows the names in the summary', async () => {
    const dir = tempDir();
    const bin = fakeGetent(dir);
    const m = manifestIn(dir, `version: 1\noutputs:\n  - { path: out.env, format: dotenv, owner: ldap-user, group: ldap-group, values: { P: /app/plain } }\n`);
    const r = await cli(['write', '-m', m], { PATH: `${bin}:/usr/bin:/bin` });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote     ${join(dir, 'out.env')} (dotenv, 1 key, mode 0600 owner ldap-user:ldap-group)`);
  });

  it('reports every unknown owner and group at once, before any fetch', async () => {
    const dir = tempDir();
    const bin = fakeGetent(dir);
    emulator.resetCounters();
    const m = manifestIn(
      dir,
      `version: 1\noutputs:\n  - { path: a.env, format: dotenv, owner: no-such-user, group: no-such-group, values: { P: /app/plain } }\n  - { path: b.env, format: dotenv, group: other-missing, values: { P: /app/plain } }\n`,
    );
    const r = await cli(['write', '-m', m], { PATH: `${bin}:/usr/bin:/bin` });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain(`${join(dir, 'a.env')}: no-such-user: no such user (looked up with getent passwd)`);
    expect(r.stderr).toContain(`${join(dir, 'a.env')}: no-such-group: no such group (looked up with getent group)`);
    expect(r.stderr).toContain(`${join(dir, 'b.env')}: other-missing: no such group`);
    expect(emulator.counters().requests).toBe(0);
  });

  it('falls back to /etc/passwd and /etc/group when getent is not installed', async () => {
    const dir = tempDir();
    const empty = join(dir, 'empty-bin');
    mkdirSync(empty);
    const m = manifestIn(dir, `version: 1\noutputs:\n  - { path: out.env, format: dotenv, owner: root, group: ldap-group, values: { P: /app/plain } }\n`);
    const r = await cli(['write', '-m', m], { PATH: empty });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('ldap-group: no such group (looked up with /etc/group)');
    expect(r.stderr).not.toContain('no such user');
  });
});

describe('policy', () => {
  it('says on stderr, without --kms-key, that SecureStrings under a customer key will be denied; stdout stays pure JSON', async () => {
    const m = manifestIn(tempDir(), `version: 1\noutputs:\n  - { path: out.env, format: dotenv, values: { P: /app/plain } }\n`);
    const r = await cli(['policy', '-m', m, '--account', '123456789012', '--region', 'us-east-1']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('SecureStrings encrypted under a customer managed KMS key will be denied');
    expect(JSON.parse(r.stdout)).toHaveProperty('Statement');
    const withKey = await cli(['policy', '-m', m, '--account', '123456789012', '--region', 'us-east-1', '--kms-key', APP_KEY_ALIAS]);
    expect(withKey.stderr).toBe('');
  });
});

describe('template filters in unsafe places', () => {
  it("validate reports a quoting filter inside the template's own quotes, with template file and line", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'run.sh.tmpl'), '#!/bin/sh\nexport TOKEN="{{ P | sh }}"\n');
    const m = manifestIn(dir, `version: 1\noutputs:\n  - { path: run.sh, format: template, template: run.sh.tmpl, values: { P: /app/plain } }\n`);
    const r = await cli(['validate', '-m', m]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${join(dir, 'run.sh.tmpl')}:2:15: {{ P | sh }} is inside "…" (opened on line 2), but the sh filter writes a complete quoted literal`,
    );
  });
});
