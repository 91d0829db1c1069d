/**
 * The product's write path never loads emulator code: no module outside
 * src/emulator/ imports it statically (the CLI reaches `emulator` through a
 * lazy import()), a bundle split at dynamic imports keeps the emulator out
 * of the entry's static graph, and a real `write` run of that bundle loads
 * no emulator chunk.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { build } from 'esbuild';
import { APP_KEY_ALIAS, useCanaryEmulator } from '../helpers/emulator.js';
import { cliEnv } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'src');
const isEmulator = (file: string): boolean => relative(SRC, file).startsWith('emulator/');

/** Static imports and re-exports of a source file (not `import()`), resolved to .ts paths. */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+'(\.[^']+)'/gms)].map((m) => m[1] as string);
  return specs.map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
}

function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const file = todo.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    todo.push(...staticImports(file));
  }
  return seen;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

function node(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (status) => done({ status, stderr }));
  });
}

describe('the emulator is apart from the product', () => {
  it('no product module imports src/emulator/ statically', () => {
    const offenders = sourceFiles(SRC)
      .filter((f) => !isEmulator(f))
      .flatMap((f) => staticImports(f).filter(isEmulator).map((target) => `${relative(SRC, f)} -> ${relative(SRC, target)}`));
    expect(offenders).toEqual([]);
  });

  it('the static import graph of bin.ts reaches the pipeline but no emulator module', () => {
    const graph = [...reachable(join(SRC, 'bin.ts'))].map((f) => relative(SRC, f));
    expect(graph).toEqual(expect.arrayContaining(['cli.ts', 'pipeline.ts', 'write.ts', 'ssm.ts']));
    expect(graph.filter((f) => f.startsWith('emulator/'))).toEqual([]);
  });
});

describe('a bundle split at dynamic imports', () => {
  const tempDir = useTempDir();
  const { emulator } = useCanaryEmulator([{ name: '/arch/a', type: 'SecureString', key_id: APP_KEY_ALIAS, value: 'CANARY-arch' }], 'CANARY');

  it('keeps the emulator in a chunk that `write` never loads', async () => {
    const out = mkdtempSync(join(tmpdir(), 'ssm-mat-split-'));
    try {
      const result = await build({
        entryPoints: [join(SRC, 'bin.ts')],
        outdir: out,
        bundle: true,
        splitting: true,
        format: 'esm',
        platform: 'node',
        target: 'node22',
        metafile: true,
        logLevel: 'silent',
        define: { SSM_MATERIALIZE_VERSION: '"0.0.0-test"' },
        outExtension: { '.js': '.mjs' },
        banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url); const __filename = new URL(import.meta.url).pathname;" },
      });
      const outputs = result.metafile.outputs;
      const chunkOf = (input: string) => Object.keys(outputs).filter((o) => Object.keys(outputs[o]?.inputs ?? {}).some((i) => i.endsWith(input)));
      const emulatorChunks = chunkOf('src/emulator/command.ts');
      expect(emulatorChunks).toHaveLength(1);
      const entry = Object.keys(outputs).find((o) => outputs[o]?.entryPoint?.endsWith('src/bin.ts')) as string;
      expect(entry).toBeDefined();
      // The entry's static graph (import statements, transitively) holds no emulator input.
      const staticGraph = new Set<string>();
      const todo = [entry];
      while (todo.length) {
        const o = todo.pop() as string;
        if (staticGraph.has(o)) continue;
        staticGraph.add(o);
        for (const imp of outputs[o]?.imports ?? []) if (imp.kind === 'import-statement' && !imp.external) todo.push(imp.path);
      }
      const emulatorInputs = [...staticGraph].flatMap((o) => Object.keys(outputs[o]?.inputs ?? {}).filter((i) => i.includes('src/emulator/')));
      expect(emulatorInputs).toEqual([]);

      // And at run time: a module-resolution hook records every file loaded by a real `write`.
      const dir = tempDir();
      const manifest = join(dir, 'm.yaml');
      writeFileSync(manifest, 'version: 1\noutputs:\n  - { path: app.env, format: dotenv, values: { A: /arch/a } }\n');
      const loaded = join(dir, 'loaded.txt');
      const hook = join(dir, 'hook.mjs');
      writeFileSync(
        hook,
        `import { register } from 'node:module';
import { appendFileSync } from 'node:fs';
register('data:text/javascript,' + encodeURIComponent(\`export async function resolve(s, c, next) { const r = await next(s, c); globalThis.port?.postMessage(r.url); return r; }
export function initialize(data) { globalThis.port = data.port; }\`), { data: { port: (globalThis.__ch = new MessageChannel()).port2 }, transferList: [globalThis.__ch.port2] });
globalThis.__ch.port1.on('message', (url) => appendFileSync(${JSON.stringify(loaded)}, url + '\\n'));
globalThis.__ch.port1.unref();
`,
      );
      const entryFile = join(ROOT, entry);
      // Asynchronous: the emulator answers from this process's event loop.
      const run = await node(['--import', hook, entryFile, 'write', '-m', manifest], cliEnv(emulator().url));
      expect(run.status, run.stderr).toBe(0);
      const urls = readFileSync(loaded, 'utf8').trim().split('\n');
      expect(urls.some((u) => u.endsWith('/bin.mjs'))).toBe(true);
      const emulatorChunk = emulatorChunks[0] as string;
      expect(urls.filter((u) => u.endsWith(emulatorChunk.split('/').pop() as string))).toEqual([]);
      // The check can fail: `emulator` through the same bundle does load that chunk.
      await node(['--import', hook, entryFile, 'emulator', '--port', '-1'], cliEnv(emulator().url));
      expect(readFileSync(loaded, 'utf8')).toContain(emulatorChunk.split('/').pop() as string);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
