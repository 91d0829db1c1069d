/** `ssm-emulator`, the package's own bin (dist/ssm-emulator.cjs, built by `npm run build`), as a user runs it. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', 'dist', 'ssm-emulator.cjs');
const scratch = mkdtempSync(join(tmpdir(), 'ssm-emulator-bin-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH } });

describe('ssm-emulator', () => {
  it('starts with a seed, serves, and prints its counters when stopped by SIGTERM', async () => {
    const seed = join(scratch, 'seed.yaml');
    writeFileSync(seed, 'parameters:\n  - name: /bin/a\n    value: CANARY-bin\n');
    const child = spawn(process.execPath, [BIN, '--port', '0', '--seed', seed, '--tps', '40'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    const url = await new Promise<string>((resolve) =>
      child.stdout.on('data', (d) => {
        stdout += d;
        const m = /http:\/\/127\.0\.0\.1:\d+/.exec(stdout);
        if (m) resolve(m[0]);
      }),
    );
    expect(stdout).toMatch(/^ssm-emulator listening on http:\/\/127\.0\.0\.1:\d+\n1 parameter, region us-east-1/);
    expect(stdout).toContain(`export AWS_ENDPOINT_URL_SSM=${url}`);
    expect((await fetch(`${url}/_emulator/counters`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await closed).toBe(0);
    expect(stdout).toMatch(/ssm-emulator stopping; counters: \{"requests":0,/);
    expect(stdout + stderr).not.toContain('CANARY');
  });

  it('--help prints the options and exits 0', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: ssm-emulator \[options\]/);
    for (const flag of ['--port', '--seed', '--tps', '--latency', '--error-rate', '--drop-rate', '--any-signature', '--verbose'])
      expect(r.stdout).toContain(flag);
  });

  it('an unknown option, a non-number or a bad seed file exits 2 with its reason', () => {
    const unknown = run(['--nope']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^ssm-emulator: .*--nope/);
    const nan = run(['--tps', 'fast']);
    expect(nan.status).toBe(2);
    expect(nan.stderr).toBe('ssm-emulator: --tps takes a number, not "fast"\n');
    const seed = join(scratch, 'bad.yaml');
    writeFileSync(seed, 'parameters:\n  - name: /ok\n    value: x\n  - name: bad//name\n    value: y\n');
    const bad = run(['--port', '0', '--seed', seed]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^ssm-emulator: invalid seed file\n/);
    expect(bad.stderr).toContain(`${seed}:4`);
  });
});
