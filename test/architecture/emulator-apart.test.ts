/**
 * The emulator is a package of its own (packages/emulator), apart from the
 * product: the product reaches it through one lazy import in
 * src/commands/emulator.ts, the emulator imports nothing of the product, the
 * product's bundle holds no emulator code, and a `write` runs without the
 * emulator's file while `emulator` loads it from there.
 */
import { describe, expect, it } from 'vitest';
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { bundleCli, bundleLibrary, EMULATOR_FILE, LIBRARY_FILES } from '../../scripts/bundle.mjs';
import { APP_KEY_ALIAS, useCanaryEmulator } from '../helpers/emulator.js';
import { cliEnv, runCli } from '../helpers/cli.js';
import { runCommand } from '../helpers/spawn.js';
import { useTempDir } from '../helpers/tmp.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'src');
const PACKAGE = join(ROOT, 'packages', 'emulator');
const DIST = join(ROOT, 'dist');
const THIN_COMMAND = join(SRC, 'commands', 'emulator.ts');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : /\.(ts|mjs)$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** Every module specifier a file names: static imports, re-exports and import(). */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:\sfrom\s+|\bimport\s*\(\s*|^import\s+)'([^']+)'/gm)].map((m) => m[1] as string);
}

describe('the emulator is apart from the product', () => {
  it('only src/commands/emulator.ts names the emulator package, through import() and types', () => {
    const offenders = sourceFiles(SRC).flatMap((f) =>
      specifiers(f)
        .filter((s) => s.startsWith('@ssm-materialize/emulator') || resolve(dirname(f), s).startsWith(PACKAGE))
        .filter(() => f !== THIN_COMMAND)
        .map((s) => `${relative(ROOT, f)} -> ${s}`),
    );
    expect(offenders).toEqual([]);
    const thin = readFileSync(THIN_COMMAND, 'utf8');
    expect(thin).toContain("await import('@ssm-materialize/emulator/command')");
    expect(thin.match(/^import .*'@ssm-materialize\/emulator[^']*'/gm)).toEqual([expect.stringMatching(/^import type /)]);
  });

  it('the emulator package imports nothing of the product', () => {
    const offenders = sourceFiles(PACKAGE)
      .filter((f) => !f.includes('/node_modules/') && !f.includes('/dist/'))
      .flatMap((f) =>
        specifiers(f)
          .filter((s) => (s.startsWith('.') && !resolve(dirname(f), s).startsWith(PACKAGE + '/')) || s.startsWith('ssm-materialize'))
          .map((s) => `${relative(ROOT, f)} -> ${s}`),
      );
    expect(offenders).toEqual([]);
  });
});

describe("the product's bundle", () => {
  const tempDir = useTempDir();

  it('holds no emulator source: esbuild says so, and the bundle only requires the file beside it', async () => {
    const out = join(tempDir(), 'bundle.cjs');
    const result = await bundleCli(out);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((i) => i.startsWith('src/cli.ts'))).toBe(true);
    expect(inputs.filter((i) => i.includes('packages/emulator/') || i.includes('@ssm-materialize/emulator'))).toEqual([]);
    expect(readFileSync(out, 'utf8')).toContain(`require("./${EMULATOR_FILE}")`);
  });

  it('the library bundle holds no emulator source either', async () => {
    const { metafile } = await bundleLibrary(tempDir());
    const inputs = Object.keys(metafile.inputs);
    expect(inputs.some((i) => i.startsWith('src/library.ts'))).toBe(true);
    expect(inputs.filter((i) => i.includes('packages/emulator/') || i.includes('@ssm-materialize/emulator'))).toEqual([]);
  });

  it('dist/ keeps the emulator in its own file: the bundle and the library have none of its code, the emulator file has it', () => {
    // The emulator's admin endpoints are its own: no product module names them.
    const marker = '/_emulator/counters';
    expect(readFileSync(join(DIST, 'ssm-materialize.bundle.cjs'), 'latin1')).not.toContain(marker);
    expect(readFileSync(join(DIST, LIBRARY_FILES.cjs), 'latin1')).not.toContain(marker);
    expect(readFileSync(join(DIST, EMULATOR_FILE), 'latin1')).toContain(marker);
  });

  describe('without the emulator file beside it', () => {
    const { emulator } = useCanaryEmulator([{ name: '/apart/a', type: 'SecureString', key_id: APP_KEY_ALIAS, value: 'CANARY-apart' }], 'CANARY');

    it('`write` runs, and `emulator` says which file is missing (exit 2)', async () => {
      const dir = tempDir();
      const dist = join(dir, 'dist');
      cpSync(DIST, dist, { recursive: true });
      rmSync(join(dist, EMULATOR_FILE));
      const manifest = join(dir, 'm.yaml');
      writeFileSync(manifest, 'version: 1\noutputs:\n  - { path: app.env, format: dotenv, values: { A: /apart/a } }\n');
      const bin = join(dist, 'ssm-materialize.cjs');
      const write = await runCommand(process.execPath, [bin, 'write', '-m', manifest], { env: cliEnv(emulator().url) });
      expect(write.code, write.stderr).toBe(0);
      expect(readFileSync(join(dir, 'app.env'), 'utf8')).toContain('A=');

      const missing = await runCommand(process.execPath, [bin, 'emulator', '--port', '0'], { env: cliEnv(emulator().url) });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain(`the emulator's file is missing`);
      expect(missing.stderr).toContain(EMULATOR_FILE);
      // The real dist/ has it: there the emulator itself answers (and refuses port -1).
      const present = await runCli(['emulator', '--port', '-1'], cliEnv(emulator().url));
      expect(present.code).toBe(2);
      expect(present.stderr).toMatch(/^ssm-materialize: .*port/);
      expect(present.stderr).not.toContain(`the emulator's file is missing`);
    });
  });
});
