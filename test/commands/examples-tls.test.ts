/** examples/tls/ end to end: the three files as seeded, the verify passing, openssl agreeing. */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSeedFile } from '@ssm-materialize/emulator';
import { useInProcessEmulator } from '../helpers/inproc.js';
import { useTempDir } from '../helpers/tmp.js';

const example = join(import.meta.dirname, '..', '..', 'examples', 'tls');
const seed = loadSeedFile(join(example, 'seed.yaml'));
const value = (name: string): string => {
  const v = seed.parameters?.find((p) => p.name === name)?.value;
  if (typeof v !== 'string') throw new Error(`no ${name} in the example seed`);
  return v;
};
// A line of the private key's body: it must never be printed.
const canary = value('/myapp/prod/tls/key').split('\n')[1] ?? '';

const tempDir = useTempDir();
const { run } = useInProcessEmulator(() => seed, canary);

describe('examples/tls', () => {
  it('writes key, certificate and chain exactly as stored; openssl verifies the pair and the chain', async () => {
    expect(canary.length).toBeGreaterThan(40);
    const out = tempDir();
    const r = await run(['write', '-m', join(example, 'materialize.yaml')], { OUT_DIR: out });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(join(out, 'server.key'), 'utf8')).toBe(value('/myapp/prod/tls/key'));
    expect(readFileSync(join(out, 'server.crt'), 'utf8')).toBe(value('/myapp/prod/tls/cert'));
    expect(readFileSync(join(out, 'chain.pem'), 'utf8')).toBe(value('/myapp/prod/tls/chain'));
    expect((statSync(join(out, 'server.key')).mode & 0o777).toString(8)).toBe('600');
    expect((statSync(join(out, 'server.crt')).mode & 0o777).toString(8)).toBe('644');
    expect(execFileSync('openssl', ['verify', '-CAfile', join(out, 'chain.pem'), join(out, 'server.crt')], { encoding: 'utf8' })).toMatch(/: OK/);
    expect((await run(['check', '-m', join(example, 'materialize.yaml')], { OUT_DIR: out })).code).toBe(0);
  });
});
