/**
 * systemd, docker, php and template outputs through `main(argv, io)`: the
 * files read back through each format's consumer rules (php through real
 * php when installed; required in CI), and template mistakes are caught
 * offline with file and line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmulator, type RunningEmulator } from '@ssm-materialize/emulator';
import { getFormat } from '../../src/formats/index.js';
import { cliEnv } from '../helpers/cli.js';
import { runCliInProcess as runCli } from '../helpers/main.js';
import { useTempDir } from '../helpers/tmp.js';

const VALUES: Record<string, string> = {
  DB_HOST: 'db.internal',
  DB_PORT: '5432',
  DB_NAME: 'app',
  DB_USER: "o'brien",
  DB_PASSWORD: 'CANARY p\\w "q" $x `y` #z',
  APP_KEY: 'base64:CANARY==',
  MAIL_DSN: 'smtp://u:p@mail:25',
};
let emulator: RunningEmulator;
const tempDir = useTempDir();
const hasPhp = (() => {
  try {
    execFileSync('php', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

beforeAll(async () => {
  emulator = await startEmulator({
    port: 0,
    seed: { parameters: Object.entries(VALUES).map(([k, value]) => ({ name: `/fmt/${k}`, type: 'SecureString' as const, value })) },
  });
});
afterAll(async () => {
  await emulator?.close();
});

const valuesYaml = Object.keys(VALUES)
  .map((k) => `      ${k}: ${k}`)
  .join('\n');

describe('systemd, docker, php and template through the CLI', () => {
  it('writes files that read back exactly', async () => {
    const dir = tempDir();
    copyFileSync(join(import.meta.dirname, '..', '..', 'templates', 'config.php.tmpl'), join(dir, 'config.php.tmpl'));
    writeFileSync(
      join(dir, 'm.yaml'),
      `version: 1\nprefix: /fmt\noutputs:\n${['systemd', 'docker', 'php']
        .map((f) => `  - path: out.${f}\n    format: ${f}\n    values:\n${valuesYaml}\n`)
        .join('')}  - path: config.php\n    format: template\n    template: config.php.tmpl\n    verify: php -l "$1"\n    values:\n${valuesYaml}\n`.replace(
        '    verify: php -l "$1"\n',
        hasPhp ? '    verify: php -l "$1"\n' : '',
      ),
    );
    const result = await runCli(['write', '-m', join(dir, 'm.yaml')], cliEnv(emulator.url));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('CANARY');
    for (const f of ['systemd', 'docker', 'php']) {
      expect(getFormat(f).parse(readFileSync(join(dir, `out.${f}`), 'utf8'), { outputPath: f }), f).toEqual(VALUES);
    }
    if (!hasPhp) {
      if (process.env.CI) throw new Error('php is required in CI (.ci/run installs php-cli)');
      console.warn('php not installed: skipping the real-php read-back');
      return;
    }
    const read = (file: string) =>
      JSON.parse(execFileSync('php', ['-r', 'echo json_encode(require $argv[1]);', join(dir, file)], { encoding: 'utf8' })) as unknown;
    expect(read('out.php')).toEqual(VALUES);
    expect(read('config.php')).toEqual({
      db: { host: VALUES.DB_HOST, port: 5432, name: VALUES.DB_NAME, user: VALUES.DB_USER, password: VALUES.DB_PASSWORD },
      app_key: VALUES.APP_KEY,
      mail: { dsn: VALUES.MAIL_DSN },
    });
  });

  it('catches an undefined placeholder offline, with the template and manifest lines', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 't.tmpl'), 'host={{ DB_HOST | raw }}\npass={{ DB_PASS | sh }}\nbad={{ DB_HOST | nope }}\n');
    writeFileSync(
      join(dir, 'm.yaml'),
      'version: 1\noutputs:\n  - path: out.conf\n    format: template\n    template: t.tmpl\n    values: { DB_HOST: /fmt/DB_HOST }\n',
    );
    const validate = await runCli(['validate', '-m', join(dir, 'm.yaml')], cliEnv(emulator.url));
    expect(validate.code).toBe(2);
    expect(validate.stderr).toContain(`${join(dir, 't.tmpl')}:3`);
    expect(validate.stderr).toContain('nope');
    writeFileSync(join(dir, 't.tmpl'), 'host={{ DB_HOST | raw }}\npass={{ DB_PASS | sh }}\n');
    emulator.resetCounters();
    const write = await runCli(['write', '-m', join(dir, 'm.yaml')], cliEnv(emulator.url));
    expect(write.code).toBe(2);
    expect(write.stderr).toContain(`${join(dir, 'm.yaml')}:3`);
    expect(write.stderr).toContain('{{ DB_PASS }}');
    expect(emulator.counters().requests).toBe(0);
  });
});
