/**
 * Shared pieces of the reliability tests: an emulator seeded with plain
 * name -> value maps, manifests written to disk, the built CLI spawned with
 * the knobs these tests need (signals, another uid, a umask), temp-file
 * listings, and a guard for tests that need root and mounts.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, writeFileSync, mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, expect, inject } from 'vitest';
import { startEmulator } from '@ssm-materialize/emulator';
import type { Seed } from '@ssm-materialize/emulator';
import { CLI, cliEnv, type CliResult } from '../helpers/cli.js';
import { isRoot, mustRunAsRoot } from './figures.js';

export type Emulator = Awaited<ReturnType<typeof startEmulator>>;

/**
 * The built CLI (dist/), snapshotted once per test worker (which may run
 * several test files: vitest.config.ts): other engineers rebuilding dist/ in
 * the same tree must not hand a half-written bundle to a crash test.
 * SSM_MATERIALIZE_CLI points the suite at another build.
 */
export const CLI_PATH = process.env.SSM_MATERIALIZE_CLI ?? snapshot(CLI);

function snapshot(bin: string): string {
  // In the run's scratch directory (test/helpers/global-setup.ts) when there is one: the next test file in this worker uses the same snapshot.
  const runScratch = inject('runScratchDir');
  const copy = join(runScratch ?? tmpdir(), `ssm-rel-cli-${process.pid}-${Date.now()}`);
  try {
    cpSync(dirname(bin), copy, { recursive: true }); // the bin, its bundle and code cache
  } catch {
    return bin; // not built: let the spawns report it
  }
  chmodSync(copy, 0o755); // readable by the unprivileged uid of the EACCES tests
  if (runScratch) chmodSync(runScratch, 0o755);
  else afterAll(() => rmSync(copy, { recursive: true, force: true }));
  return join(copy, basename(bin));
}
export { cliEnv };

export const KMS_KEY = '1234abcd-12ab-34cd-56ef-1234567890ab';
export const KMS_ALIAS = 'alias/MyApplicationKey';
export const OTHER_KMS_KEY = 'abcd1234-0000-4000-8000-00000000beef';
export const OTHER_KMS_ALIAS = 'alias/OtherTeamKey';

/** An emulator holding these SecureStrings (under alias/MyApplicationKey unless `keyOf` says otherwise). */
export async function emulatorWith(
  values: Record<string, string>,
  seed: Partial<Seed> = {},
  keyOf: (name: string) => string = () => KMS_ALIAS,
  log?: (line: string) => void,
): Promise<Emulator> {
  return startEmulator({
    port: 0,
    log,
    seed: {
      region: 'us-east-1',
      account: '123456789012',
      kms_keys: [
        { id: KMS_KEY, aliases: [KMS_ALIAS] },
        { id: OTHER_KMS_KEY, aliases: [OTHER_KMS_ALIAS] },
      ],
      parameters: Object.entries(values).map(([name, value]) => ({ name, type: 'SecureString' as const, key_id: keyOf(name), value })),
      ...seed,
    },
  });
}

/** A private (0700) scratch directory; remove with `rmScratch`. */
export function scratchDir(label: string): string {
  const d = mkdtempSync(join(tmpdir(), `ssm-rel-${label}-`));
  chmodSync(d, 0o700);
  return d;
}
export function rmScratch(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

export function writeManifest(dir: string, name: string, body: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, body);
  return file;
}

/** Our temp files (and anything else that looks like one) in a directory. */
export function tempFiles(dir: string): string[] {
  // `.NAME.ssm-materialize.pending` is not a temp file: it records an on_change hook still to run.
  return readdirSync(dir).filter((f) => (f.includes('.ssm-materialize.') && !f.endsWith('.ssm-materialize.pending')) || f.endsWith('.tmp'));
}

export interface SpawnOptions {
  uid?: number;
  gid?: number;
  /** Run under this umask (through sh). */
  umask?: string;
  cwd?: string;
  /** Written to the CLI's stdin (e.g. for `put`); without it stdin is closed. */
  input?: string;
}

export interface Spawned {
  child: ChildProcess;
  result: Promise<CliResult>;
}

/** Spawn the built CLI; the caller may signal `child` before awaiting `result`. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv, options: SpawnOptions = {}): Spawned {
  const [file, argv] =
    options.umask === undefined
      ? [process.execPath, [CLI_PATH, ...args]]
      : ['/bin/sh', ['-c', `umask ${options.umask} && exec "$0" "$@"`, process.execPath, CLI_PATH, ...args]];
  const child = spawn(file, argv, {
    env,
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    uid: options.uid,
    gid: options.gid,
    cwd: options.cwd,
  });
  if (options.input !== undefined) {
    child.stdin!.on('error', () => undefined); // EPIPE when the CLI exits before reading: expected
    child.stdin!.end(options.input);
  }
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const result = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, result };
}

export function cli(args: string[], env: NodeJS.ProcessEnv, options: SpawnOptions = {}): Promise<CliResult> {
  return spawnCli(args, env, options).result;
}

/** Every failure this suite expects ends the same way: a one-line reason and a hint, no stack. */
export function expectCleanError(r: Pick<CliResult, 'code' | 'stderr'>, code: number, ...mentions: string[]): void {
  expect(r.code, `exit code; stderr:\n${r.stderr}`).toBe(code);
  expect(r.stderr).toMatch(/^ssm-materialize: /);
  expect(r.stderr).toMatch(/\n {2}hint: \S/);
  expect(r.stderr).not.toMatch(/internal error \(a bug|\n\s+at .*:\d+:\d+|\[WARN\]/);
  for (const m of mentions) expect(r.stderr).toContain(m);
}

/**
 * Tests that need root (mounts, chown, another uid). Outside CI they are
 * skipped when not root; in CI (`CI` set) they run and fail if not root, so a
 * misconfigured runner cannot turn them into silent passes.
 */
export const rootOnly = !isRoot && !mustRunAsRoot;
export function requireRoot(): void {
  expect(isRoot, 'this test needs root (mount, chown, setuid spawn); CI must run as root').toBe(true);
}

/** Mount a tmpfs at `dir` (created if needed) and return an unmount function that never throws. */
export function mountTmpfs(dir: string, options: string): () => void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  return () => {
    // A plain umount first; if something still holds the mount, detach it lazily.
    for (const args of [[dir], ['-l', dir]]) {
      try {
        execFileSync('umount', args, { stdio: 'ignore' });
        return;
      } catch {
        /* try the next way */
      }
    }
  };
}

export function unmountIfMounted(dir: string): void {
  try {
    execFileSync('mountpoint', ['-q', dir], { stdio: 'ignore' });
  } catch {
    return;
  }
  execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
}
