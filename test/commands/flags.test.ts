/**
 * Each command owns its flags (src/commands/*.command.ts): its --help lists
 * them and nothing of another command's; renamed flags keep their old
 * spelling for a release, with a warning that names the new one; and an
 * unknown argument is named by its position, never quoted. In-process
 * through `main(argv, io)`, with the real SDK against the in-process emulator.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS } from '../../src/cli.js';
import { globalOptions } from '../../src/commands/definition.js';
import { APP_KEY_ALIAS, useCanaryEmulator } from '../helpers/emulator.js';
import { useTempDir } from '../helpers/tmp.js';

const tempDir = useTempDir();
const { main: cli } = useCanaryEmulator([{ name: '/flags/a', type: 'SecureString', key_id: APP_KEY_ALIAS, value: 'CANARY-flags-a' }], 'CANARY');

function manifest(): string {
  const dir = tempDir();
  const file = join(dir, 'm.yaml');
  writeFileSync(file, `version: 1\noutputs:\n  - path: app.env\n    format: dotenv\n    values:\n      A: /flags/a\n`);
  return file;
}

/** The flags an option line of yargs's help starts with: `  -m, --manifest ...` or `      --region ...`. */
function flagsInHelp(help: string): string[] {
  return [...help.matchAll(/^ {2}(?:-\w, | {4})--([\w-]+)/gm)].map((m) => m[1]!).sort();
}

const deprecationOf = (old: string, current: string) => `${old} is deprecated and goes away in the next release: use ${current}`;

describe('each command owns its flags', () => {
  it("--help of each command lists its own flags and the global ones, and none of another command's or an old spelling", async () => {
    const everyone = [...Object.keys(globalOptions), 'help', 'version'];
    for (const command of COMMANDS) {
      const help = await cli([command.name, '--help']);
      expect(help.code).toBe(0);
      expect(flagsInHelp(help.stdout), command.name).toEqual([...everyone, ...Object.keys(command.flags)].sort());
      for (const old of Object.keys(command.deprecated)) expect(help.stdout, `${command.name} --${old}`).not.toMatch(new RegExp(`--${old}\\b`));
    }
  });

  it('a flag of another command is an unknown argument (plan has --every, policy has not)', async () => {
    const r = await cli(['policy', '-m', manifest(), '--account', '123456789012', '--region', 'us-east-1', '--every', '5m']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown argument');
  });
});

describe('renamed flags: the new name works; the old one still works for a release and warns', () => {
  it('put --kms-key (was --key-id) reaches the store: the app key stores, an unknown key is refused by KMS (exit 4)', async () => {
    for (const [flag, warned] of [
      ['--kms-key', false],
      ['--key-id', true],
    ] as const) {
      const stored = await cli(['put', `/flags/put${flag}`, flag, APP_KEY_ALIAS], 'CANARY-put-value');
      expect(stored.code, stored.stderr).toBe(0);
      expect(stored.stdout).toContain(`(SecureString, ${APP_KEY_ALIAS})`);
      expect(stored.stderr.includes(deprecationOf('--key-id', '--kms-key')), flag).toBe(warned);
      const refused = await cli(['put', `/flags/refused${flag}`, flag, 'alias/NoSuchKey'], 'CANARY-put-value');
      expect(refused.code).toBe(4);
      expect(refused.stderr).toContain('check --kms-key');
    }
  });

  it('init -m/--manifest (was -o/--output) and --kms-key (was --key-id)', async () => {
    const dotenv = join(tempDir(), '.env');
    writeFileSync(dotenv, 'API_KEY=CANARY-init\n');
    const cases = [
      { flags: ['-m'], key: '--kms-key', warnings: [] },
      { flags: ['--manifest'], key: '--kms-key', warnings: [] },
      {
        flags: ['--output'],
        key: '--key-id',
        warnings: [
          ['--output', '--manifest'],
          ['--key-id', '--kms-key'],
        ],
      },
      { flags: ['-o'], key: '--kms-key', warnings: [['-o', '--manifest']] },
    ];
    for (const { flags, key, warnings } of cases) {
      const file = join(tempDir(), 'materialize.yaml');
      const r = await cli(['init', ...flags, file, '--from', dotenv, key, 'alias/InitKey']);
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(file, 'utf8')).toContain('version: 1');
      expect(r.stdout).toContain('put /myapp/${STAGE}/API_KEY --type SecureString --kms-key alias/InitKey');
      const shown = r.stderr.split('\n').filter((l) => l.includes('deprecated'));
      expect(shown, flags.join(' ')).toEqual(warnings.map(([old, current]) => `warning: ${deprecationOf(old!, current!)}`));
    }
  });

  it('both spellings of one flag at once is a usage error, not a guess', async () => {
    const file = join(tempDir(), 'm.yaml');
    for (const argv of [
      ['init', '-m', file, '--output', file],
      ['init', '--manifest', file, '-o', file],
      ['put', '/flags/both', '--kms-key', APP_KEY_ALIAS, '--key-id', APP_KEY_ALIAS],
    ]) {
      const r = await cli(argv, 'CANARY-both');
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/is the old name of --(manifest|kms-key): give --(manifest|kms-key) only/);
    }
  });

  it('plan --quota (was --tps) sizes the call budget', async () => {
    const m = manifest();
    for (const [flag, warned] of [
      ['--quota', false],
      ['--tps', true],
    ] as const) {
      const r = await cli(['plan', '-m', m, '--hosts', '10', flag, '7']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('fleet of 10 hosts at 7 TPS');
      expect(r.stderr.includes(deprecationOf('--tps', '--quota')), flag).toBe(warned);
    }
  });

  it('exec --quota (was --tps) is checked with --refresh-every, before the store is read', async () => {
    for (const [flag, warned] of [
      ['--quota', false],
      ['--tps', true],
    ] as const) {
      const r = await cli(['exec', '-m', manifest(), '--refresh-every', '30s', flag, '0', '--', 'true']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--quota must be > 0');
      expect(r.stderr.includes(deprecationOf('--tps', '--quota')), flag).toBe(warned);
    }
  });

  it('fleet --quota (was --tps) sizes the rollout', async () => {
    for (const [flag, warned] of [
      ['--quota', false],
      ['--tps', true],
    ] as const) {
      const r = await cli(['fleet', '-m', manifest(), '--target', 'tag:App=flags', '--hosts', '20', flag, '100']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('(quota 100, headroom 0.25)');
      expect(r.stderr.includes(deprecationOf('--tps', '--quota')), flag).toBe(warned);
    }
  });

  it("the emulator keeps --tps: the rate it enforces, the same flag as the package's own ssm-emulator", () => {
    const emulator = COMMANDS.find((c) => c.name === 'emulator')!;
    const usage = readFileSync(join(import.meta.dirname, '..', '..', 'packages', 'emulator', 'src', 'args.ts'), 'utf8');
    const ownFlags = [...usage.matchAll(/^ {2}(?:-\w, )?--([\w-]+)/gm)].map((m) => m[1]!).sort();
    // The same flags both ways; --verbose and --help are every command's here.
    expect(ownFlags).toEqual([...Object.keys(emulator.flags), 'verbose', 'help'].sort());
  });
});

describe('an unknown argument is named by its position, never quoted', () => {
  it('for every command, a stray word and an unknown --flag=value', async () => {
    // What each command demands, so that the unknown argument is the only problem.
    const demanded: Record<string, string[]> = { put: ['/flags/stray'], policy: ['--account', '123456789012'], fleet: ['--target', 'tag:App=flags'] };
    for (const command of COMMANDS) {
      const lead = [command.name, ...(demanded[command.name] ?? [])];
      for (const extra of [['CANARY-stray-word'], ['--CANARY-flag=CANARY-value'], ['--no-CANARY-flag'], ['-Z']]) {
        if (command.name === 'put' && !extra[0]!.startsWith('-')) continue; // put refuses a word after the name itself (commands.test.ts)
        const argv = [...lead, ...extra];
        const r = await cli(argv, 'CANARY-stdin');
        expect(r.code, argv.join(' ')).toBe(2);
        expect(r.stderr).toContain(`unknown argument at position ${argv.length} of the command line (not shown: it may be a value typed by mistake)`);
        expect(r.stderr).not.toContain('CANARY');
        expect(r.stderr).not.toContain('-Z');
      }
    }
  });

  it('several unknown words: every position, no text', async () => {
    const r = await cli(['validate', '-m', manifest(), 'CANARY-1', '--CANARY-2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown arguments at positions 4, 5 of the command line (not shown: they may be values typed by mistake)');
    expect(r.stderr).not.toContain('CANARY');
  });
});
