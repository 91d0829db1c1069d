/**
 * examples/systemd/: the units pass `systemd-analyze verify`, and the refresh
 * service's ExecStart= command line, run as systemd would run it against the
 * emulator, writes the EnvironmentFile= that systemd's own parser reads back,
 * and restarts the app (on_change) only when a value changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadSeedFile, startEmulator, type RunningEmulator } from '@ssm-materialize/emulator';
import { CLI, DEMO_CREDENTIALS } from '../helpers/cli.js';
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
  const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${key}=`));
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
    const r = await runCommand('systemd-analyze', ['verify', './myapp-secrets.service', './myapp-secrets.timer', './myapp.service'], { env: { PATH: process.env.PATH }, cwd: dir });
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

/** Run the refresh service's ExecStart= on an instance, with a `systemctl` that only records its arguments. */
async function refresh(instance: Instance): Promise<{ code: number | null; stdout: string; stderr: string; restarts: string[] }> {
  const argv = unitSetting(join(UNITS, 'myapp-secrets.service'), 'ExecStart').split(/\s+/);
  expect(argv.join(' ')).not.toMatch(/["'\\]/);
  const [program, ...args] = argv.map((a) => (a === INSTALLED_BINARY ? join(instance.bin, 'ssm-materialize') : a === INSTALLED_MANIFEST ? join(instance.root, INSTALLED_MANIFEST) : a));
  const env = instance.env(emulator.url, { ...DEMO_CREDENTIALS, AWS_CONFIG_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true', SYSTEMCTL_LOG: join(instance.root, 'systemctl.log') });
  const r = await runCommand(program!, args, { env, cwd: '/' });
  const log = join(instance.root, 'systemctl.log');
  return { ...r, restarts: existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [] };
}

describe("examples/systemd: the refresh service's command line against the emulator", () => {
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
    const put = await runCommand(process.execPath, [CLI, 'put', '/myapp/production/api-key', '--type', 'SecureString', '--key-id', 'alias/MyApplicationKey', '--overwrite'], {
      env: instance.env(emulator.url, { ...DEMO_CREDENTIALS, AWS_REGION: 'us-east-1', AWS_CONFIG_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true' }),
      input: 'rotated-api-key',
    });
    expect(put.code).toBe(0);
    const third = await refresh(instance);
    expect(third.code).toBe(0);
    expect(third.restarts).toEqual(['try-restart myapp.service', 'try-restart myapp.service']);
    expect(readWithSystemdGenerator([readFileSync(file, 'utf8')]).API_KEY).toBe('rotated-api-key');
  }, 120_000);
});
