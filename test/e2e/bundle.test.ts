/**
 * The built dist/: the bundle runs alone, and the bin (src/startup/launch.ts) runs it
 * (its compile cache: test/e2e/compile-cache.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { CLI } from '../helpers/cli.js';
import { isolatedAwsEnv } from '@ssm-materialize/emulator/testing';
import { useTempDir } from '../helpers/tmp.js';
import { BUNDLE_PART, EMULATOR_PART, SDK_PART, codeCacheAsset } from '../../src/startup/parts.js';

const tempDir = useTempDir();
const DIST = dirname(CLI);
const BUNDLE = 'ssm-materialize.bundle.cjs';
const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };

function run(args: string[]) {
  return spawnSync(process.execPath, args, { encoding: 'utf8', env: { PATH: process.env.PATH } });
}

function expectVersion(r: ReturnType<typeof run>): void {
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(`${version}\n`);
}

describe('the built bundle', () => {
  it('prints the version from package.json, even when copied alone where no package.json is', () => {
    const copy = join(tempDir(), BUNDLE);
    copyFileSync(join(DIST, BUNDLE), copy);
    expectVersion(run([copy, '--version']));
  });

  it('and the parts beside it are ASCII, as the bin and the executable read them (latin1: no decoding)', () => {
    for (const file of [BUNDLE, SDK_PART, EMULATOR_PART]) {
      const bytes = readFileSync(join(DIST, file));
      expect(bytes.length).toBeGreaterThan(100_000);
      expect(
        bytes.findIndex((b) => b > 0x7f),
        file,
      ).toBe(-1);
    }
  });

  it('the build and the tool name the parts alike (scripts/bundle.mjs, src/startup/parts.ts)', async () => {
    const build = (await import(join(import.meta.dirname, '..', '..', 'scripts', 'bundle.mjs'))) as Record<string, unknown> & {
      codeCacheAsset: (p: string) => string;
    };
    expect([build.SDK_FILE, build.EMULATOR_FILE, build.BUNDLE_PART, build.codeCacheAsset('x')]).toEqual([
      SDK_PART,
      EMULATOR_PART,
      BUNDLE_PART,
      codeCacheAsset('x'),
    ]);
  });

  it('holds no AWS SDK code: the SDK is its own file beside it, loaded from there', () => {
    const bundle = readFileSync(join(DIST, BUNDLE), 'latin1');
    const sdk = readFileSync(join(DIST, SDK_PART), 'latin1');
    // The SSM client's service name and the SDK's user agent prefix: strings only the SDK's own code holds.
    for (const marker of ['AmazonSSM', 'aws-sdk-js']) {
      expect(sdk).toContain(marker);
      expect(bundle).not.toContain(marker);
    }
    expect(bundle).toContain(`require("./${SDK_PART}")`);
  });
});

/**
 * What a start-up loads, seen from inside the process: a preload script
 * records Node's list of loaded built-ins and counts Intl.Segmenter
 * constructions (string-width's costly start), and prints both at exit.
 */
function loadedBy(args: string[]): { builtins: string[]; segmenters: number; status: number | null; stdout: string } {
  const dir = tempDir();
  const probe = join(dir, 'probe.cjs');
  writeFileSync(
    probe,
    [
      'let segmenters = 0;',
      'const Real = Intl.Segmenter;',
      'Intl.Segmenter = class extends Real { constructor(...a) { super(...a); segmenters++; } };',
      "process.on('exit', () => require('node:fs').writeSync(2, '\\nPROBE ' + JSON.stringify({ builtins: process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)), segmenters })));",
    ].join('\n'),
  );
  writeFileSync(join(dir, 'm.yaml'), 'version: 1\noutputs:\n  - path: app.env\n    format: dotenv\n    values:\n      A: /app/a\n');
  // Loopback only: no instance metadata, no shared config (exec below fails at the store, as meant).
  const env = isolatedAwsEnv({ HOME: undefined, AWS_REGION: undefined, AWS_ACCESS_KEY_ID: 'AKIAPROBE', AWS_SECRET_ACCESS_KEY: 'probe' });
  const r = spawnSync(process.execPath, ['-r', probe, CLI, ...args], { encoding: 'utf8', cwd: dir, env });
  const line = r.stderr.split('\n').find((l) => l.startsWith('PROBE '));
  if (!line) throw new Error(`no probe output: ${r.stderr}`);
  return { ...(JSON.parse(line.slice(6)) as { builtins: string[]; segmenters: number }), status: r.status, stdout: r.stdout };
}

describe('start-up loads only what the command uses', () => {
  const networkAndProcess = ['http', 'https', 'tls', 'http2', 'zlib', 'child_process', 'crypto'];

  it('--version and validate load no network, crypto or child-process built-ins, and no string-width', () => {
    for (const args of [['--version'], ['validate', '-m', 'm.yaml']]) {
      const seen = loadedBy(args);
      expect(seen.status).toBe(0);
      expect(seen.builtins.filter((m) => networkAndProcess.includes(m))).toEqual([]);
      expect(seen.segmenters).toBe(0);
    }
  });

  it('with standard output a pipe, --version and validate print without making a stream for it (no net, no tty module: src/startup/output.ts)', () => {
    // spawnSync reads the child's output through pipes: Node's process.stdout would be a socket over the pipe.
    for (const args of [['--version'], ['validate', '-m', 'm.yaml']]) {
      const seen = loadedBy(args);
      expect(seen.status).toBe(0);
      expect(seen.stdout).not.toBe('');
      expect(seen.builtins.filter((m) => ['net', 'tty'].includes(m))).toEqual([]);
    }
  });

  it('the probe sees them where they are used: --help measures text widths, policy and exec load what they need', () => {
    const help = loadedBy(['--help']);
    expect(help.status).toBe(0);
    expect(help.segmenters).toBeGreaterThan(0);
    // exec loads child_process to run its command, and the SDK's https (it then fails: nothing listens on port 9).
    const exec = loadedBy(['exec', '-m', 'm.yaml', '--region', 'us-east-1', '--endpoint-url', 'http://127.0.0.1:9', '--timeout', '1', '--', 'true']);
    expect(exec.builtins).toContain('child_process');
    expect(exec.builtins).toContain('https');
    expect(exec.builtins).toContain('net');
  });
});

/**
 * V8's optimizing compilers stay off for the tool's own commands
 * (src/startup/heap-flags.ts): `--trace-opt` names every function V8 optimizes, and
 * none may be one the bundle defines. A 1,000-name manifest makes the YAML
 * parser hot enough that V8 would optimize it otherwise.
 */
function optimizedBundleFunctions(entry: string): string[] {
  const dir = tempDir();
  const values = Array.from({ length: 1000 }, (_, i) => `      K${i}: /app/name-${i}`).join('\n');
  writeFileSync(join(dir, 'm.yaml'), `version: 1\noutputs:\n  - path: app.env\n    format: dotenv\n    values:\n${values}\n`);
  const r = spawnSync(process.execPath, ['--trace-opt', entry, 'validate', '-m', 'm.yaml'], { encoding: 'utf8', cwd: dir, env: { PATH: process.env.PATH } });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('valid (1 output, 1000 named values');
  const bundle = readFileSync(join(DIST, BUNDLE), 'utf8');
  const optimized = [...r.stdout.matchAll(/completed compiling \S+ <JSFunction ([\w$]+)/g)].map((m) => m[1] ?? '');
  return [...new Set(optimized)].filter((name) => bundle.includes(`function ${name}(`));
}

describe('V8 flags', () => {
  it('the bin and the bundle alone (as the executable runs it) optimize none of their own functions', () => {
    expect(optimizedBundleFunctions(CLI)).toEqual([]);
    expect(optimizedBundleFunctions(join(DIST, BUNDLE))).toEqual([]);
  });
});
