/**
 * examples/systemd/: the units pass `systemd-analyze verify`, and the refresh
 * service's ExecStart= command line, run as systemd would run it against the
 * emulator, writes the EnvironmentFile= that systemd's own parser reads back,
 * and restarts the app (on_change) only when a value changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadSeedFile, startEmulator, type RunningEmulator } from '@ssm-materialize/emulator';
import { CLI } from '../helpers/cli.js';
import { isolatedAwsEnv } from '@ssm-materialize/emulator/testing';
import { runCommand } from '../helpers/spawn.js';
import { useTempDir } from '../helpers/tmp.js';
import { readWithSystemdGenerator } from '../formats/real-consumers.js';
import { requireRoot } from '../reliability/harness.js';
import { EXAMPLES, useInstances, type Instance } from './instance.js';

const UNITS = join(EXAMPLES, 'systemd');
const INSTALLED_BINARY = '/usr/local/bin/ssm-materialize';
const INSTALLED_MANIFEST = '/etc/myapp/materialize.yaml';
const newInstance = useInstances();
const tempDir = useTempDir();

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ seed: loadSeedFile(join(UNITS, 'seed.yaml')) });
});
afterAll(async () => {
  await emulator?.close();
});

/** `Key=` of a unit file's `[Section]` (the units here use no line continuations). */
function unitSetting(file: string, key: string): string {
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${key}=`));
  if (line === undefined) throw new Error(`${file} has no ${key}=`);
  return line.slice(key.length + 1);
}

describe('examples/systemd units', () => {
  it('pass systemd-analyze verify with no warning', async () => {
    const dir = tempDir();
    // verify checks that ExecStart's program exists: point it at this build, nothing else changed.
    for (const unit of ['myapp-secrets.service', 'myapp-secrets.timer', 'myapp.service']) {
      writeFileSync(join(dir, unit), readFileSync(join(UNITS, unit), 'utf8').replaceAll(INSTALLED_BINARY, CLI));
    }
    const r = await runCommand('systemd-analyze', ['verify', './myapp-secrets.service', './myapp-secrets.timer', './myapp.service'], {
      env: { PATH: process.env.PATH },
      cwd: dir,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it("the app's EnvironmentFile= is the manifest's output, the refresh service is a oneshot on that manifest, and the timer starts it", () => {
    const manifest = parseYaml(readFileSync(join(UNITS, 'materialize.yaml'), 'utf8')) as { outputs: { path: string; format: string }[] };
    const output = manifest.outputs[0]!;
    expect(output.format).toBe('systemd');
    expect(unitSetting(join(UNITS, 'myapp.service'), 'EnvironmentFile')).toBe(join(dirname(INSTALLED_MANIFEST), output.path));
    expect(unitSetting(join(UNITS, 'myapp-secrets.service'), 'Type')).toBe('oneshot');
    expect(unitSetting(join(UNITS, 'myapp-secrets.service'), 'ExecStart')).toContain(`-m ${INSTALLED_MANIFEST}`);
    // A timer with no Unit= starts the service of its own name.
    expect(() => unitSetting(join(UNITS, 'myapp-secrets.timer'), 'Unit')).toThrow();
  });
});

/** Every `Key=` value of the unit, in order (for keys given on several lines). */
function unitSettings(file: string, key: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));
}

/** The unit file as installed, with ExecStart= pointing at this build (verify checks the program exists). */
function installedCopy(dir: string, unit: string): string {
  const file = join(dir, unit);
  writeFileSync(file, readFileSync(join(UNITS, unit), 'utf8').replaceAll(INSTALLED_BINARY, CLI));
  return file;
}

/** The capabilities CapabilityBoundingSet= leaves the refresh service, as setpriv(1) names them. */
function boundingSet(): string[] {
  return unitSettings(join(UNITS, 'myapp-secrets.service'), 'CapabilityBoundingSet')
    .join(' ')
    .split(/\s+/)
    .filter(Boolean)
    .map((c) => c.replace(/^CAP_/, '').toLowerCase());
}

describe('examples/systemd: the refresh service is hardened (a static check: no systemd runs here)', () => {
  it('systemd-analyze security rates it OK or better: exposure below 5.0', async () => {
    const dir = tempDir();
    installedCopy(dir, 'myapp-secrets.service');
    const r = await runCommand('systemd-analyze', ['security', '--offline=true', './myapp-secrets.service'], { env: { PATH: process.env.PATH }, cwd: dir });
    expect(r.code).toBe(0);
    const m = /Overall exposure level for myapp-secrets\.service: (\d+\.\d) (\S+)/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    expect(Number(m![1])).toBeLessThan(5);
    expect(['OK', 'SAFE', 'PERFECT']).toContain(m![2]);
    // The same bound as systemd-analyze's own gate (its threshold is in tenths).
    const gate = await runCommand('systemd-analyze', ['security', '--offline=true', '--threshold=49', './myapp-secrets.service'], {
      env: { PATH: process.env.PATH },
      cwd: dir,
    });
    expect(gate.code).toBe(0);
  });

  it('read-only system, only the output directories writable, no new privileges, private tmp, three capabilities', () => {
    const unit = join(UNITS, 'myapp-secrets.service');
    const manifest = parseYaml(readFileSync(join(UNITS, 'materialize.yaml'), 'utf8')) as { outputs: { path: string }[] };
    const outputDirs = new Set(manifest.outputs.map((o) => dirname(join(dirname(INSTALLED_MANIFEST), o.path))));
    expect(unitSetting(unit, 'ProtectSystem')).toBe('strict');
    expect(new Set(unitSettings(unit, 'ReadWritePaths').join(' ').split(/\s+/))).toEqual(outputDirs);
    expect(unitSetting(unit, 'NoNewPrivileges')).toBe('yes');
    expect(unitSetting(unit, 'PrivateTmp')).toBe('yes');
    expect(unitSetting(unit, 'ProtectHome')).toBe('yes');
    expect(new Set(boundingSet())).toEqual(new Set(['chown', 'fowner', 'dac_override']));
    expect(unitSetting(unit, 'RestrictAddressFamilies').split(/\s+/).sort()).toEqual(['AF_INET', 'AF_INET6', 'AF_UNIX']);
  });

  it('a failed refresh is retried after a pause, boundedly, and not only at the next timer tick; store and credential failures (exit 4, 5) count', () => {
    const unit = join(UNITS, 'myapp-secrets.service');
    expect(unitSetting(unit, 'Restart')).toBe('on-failure');
    expect(unitSetting(unit, 'RestartSec')).toMatch(/^\d+s$/);
    expect(Number(unitSetting(unit, 'StartLimitBurst'))).toBeGreaterThan(1);
    expect(unitSetting(unit, 'StartLimitIntervalSec')).toMatch(/^\d+min$/);
    const prevented = unitSettings(unit, 'RestartPreventExitStatus').join(' ').split(/\s+/);
    expect(prevented).not.toContain('4');
    expect(prevented).not.toContain('5');
  });
});

/** Run the refresh service's ExecStart= on an instance, with a `systemctl` that only records its arguments. */
async function refresh(instance: Instance): Promise<{ code: number | null; stdout: string; stderr: string; restarts: string[] }> {
  const argv = unitSetting(join(UNITS, 'myapp-secrets.service'), 'ExecStart').split(/\s+/);
  expect(argv.join(' ')).not.toMatch(/["'\\]/);
  const [program, ...args] = argv.map((a) =>
    a === INSTALLED_BINARY ? join(instance.bin, 'ssm-materialize') : a === INSTALLED_MANIFEST ? join(instance.root, INSTALLED_MANIFEST) : a,
  );
  const env = isolatedAwsEnv(instance.env(emulator.url, { SYSTEMCTL_LOG: join(instance.root, 'systemctl.log') }));
  const r = await runCommand(program!, args, { env, cwd: '/' });
  const log = join(instance.root, 'systemctl.log');
  return { ...r, restarts: existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [] };
}

describe("examples/systemd: the refresh service's command line against the emulator", () => {
  it("chowns an output to the app's user in a directory that user owns, with only the unit's bounding set of capabilities, and cannot without CAP_CHOWN", async () => {
    requireRoot();
    const confined = async (caps: string[]): Promise<{ code: number | null; stderr: string; file: string }> => {
      const instance = newInstance();
      const etc = join(instance.root, 'etc', 'myapp');
      mkdirSync(etc, { recursive: true, mode: 0o755 });
      chownSync(etc, 33, 33);
      const text = readFileSync(join(UNITS, 'materialize.yaml'), 'utf8')
        .replace(/owner: root/, 'owner: www-data')
        .replace(/group: root/, 'group: www-data');
      writeFileSync(join(instance.root, INSTALLED_MANIFEST), text);
      writeFileSync(join(instance.bin, 'systemctl'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
      const argv = unitSetting(join(UNITS, 'myapp-secrets.service'), 'ExecStart').split(/\s+/);
      const args = argv.slice(1).map((a) => (a === INSTALLED_MANIFEST ? join(instance.root, INSTALLED_MANIFEST) : a));
      const env = isolatedAwsEnv(instance.env(emulator.url));
      const setpriv = [
        '--bounding-set',
        ['-all', ...caps.map((c) => `+${c}`)].join(','),
        '--no-new-privs',
        '--',
        join(instance.bin, 'ssm-materialize'),
        ...args,
      ];
      const r = await runCommand('setpriv', setpriv, { env, cwd: '/' });
      return { code: r.code, stderr: r.stderr, file: join(etc, 'app.env') };
    };
    const allowed = await confined(boundingSet());
    expect(allowed.stderr).toBe('');
    expect(allowed.code).toBe(0);
    const st = statSync(allowed.file);
    expect([st.mode & 0o777, st.uid, st.gid]).toEqual([0o600, 33, 33]);

    const withoutChown = await confined(boundingSet().filter((c) => c !== 'chown'));
    expect(withoutChown.code).toBe(6);
    expect(existsSync(withoutChown.file)).toBe(false);
  }, 120_000);

  it('writes /etc/myapp/app.env (0600 root) that systemd parses back, restarts the app once, and not again when nothing changed', async () => {
    requireRoot();
    const instance = newInstance();
    mkdirSync(join(instance.root, 'etc', 'myapp'), { recursive: true, mode: 0o755 });
    copyFileSync(join(UNITS, 'materialize.yaml'), join(instance.root, INSTALLED_MANIFEST));
    writeFileSync(join(instance.bin, 'systemctl'), '#!/bin/sh\necho "$*" >> "$SYSTEMCTL_LOG"\n', { mode: 0o755 });

    const first = await refresh(instance);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const file = join(instance.root, 'etc', 'myapp', 'app.env');
    expect(readWithSystemdGenerator([readFileSync(file, 'utf8')])).toMatchObject({
      DB_PASSWORD: 'production-db-password',
      API_KEY: "production 'api' key",
      FEATURE_FLAGS: 'search,checkout',
    });
    const st = statSync(file);
    expect([st.mode & 0o777, st.uid, st.gid]).toEqual([0o600, 0, 0]);
    expect(first.restarts).toEqual(['try-restart myapp.service']);

    const second = await refresh(instance);
    expect(second.code).toBe(0);
    expect(second.restarts).toEqual(['try-restart myapp.service']);

    // A rotated secret: the next timer run rewrites the file and restarts the app.
    const put = await runCommand(
      process.execPath,
      [CLI, 'put', '/myapp/production/api-key', '--type', 'SecureString', '--kms-key', 'alias/MyApplicationKey', '--overwrite'],
      {
        env: isolatedAwsEnv(instance.env(emulator.url)),
        input: 'rotated-api-key',
      },
    );
    expect(put.code).toBe(0);
    const third = await refresh(instance);
    expect(third.code).toBe(0);
    expect(third.restarts).toEqual(['try-restart myapp.service', 'try-restart myapp.service']);
    expect(readWithSystemdGenerator([readFileSync(file, 'utf8')]).API_KEY).toBe('rotated-api-key');
  }, 120_000);
});
