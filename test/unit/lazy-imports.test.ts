/**
 * Start-up cost: what the entry point loads before any command runs. Only
 * static imports are evaluated at start-up (esbuild keeps an `import()` lazy
 * in the bundle), so walking the static edges of esbuild's own import graph
 * from src/bin.ts shows what --version, validate, policy and init pay for.
 */
import { expect, it } from 'vitest';
import { build, type Metafile } from 'esbuild';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

async function staticallyLoaded(): Promise<Set<string>> {
  const result = await build({
    entryPoints: [join(root, 'src', 'bin.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
    metafile: true,
    outdir: join(root, '.tmp', 'lazy-imports'),
    logLevel: 'silent',
  });
  const inputs: Metafile['inputs'] = result.metafile.inputs;
  const seen = new Set<string>();
  const queue = Object.keys(inputs).filter((p) => p.endsWith('src/bin.ts'));
  while (queue.length) {
    const path = queue.pop()!;
    if (seen.has(path)) continue;
    seen.add(path);
    for (const edge of inputs[path]?.imports ?? []) if (edge.kind !== 'dynamic-import' && !edge.external) queue.push(edge.path);
  }
  return seen;
}

it('start-up loads neither the AWS SDK, nor src/aws/ssm.ts, nor the emulator: the commands that need them import() them', async () => {
  const loaded = [...(await staticallyLoaded())];
  expect(loaded.some((p) => p.endsWith('src/cli.ts'))).toBe(true);
  expect(loaded.some((p) => p.includes('node_modules/yargs/'))).toBe(true);
  expect(loaded.filter((p) => p.includes('node_modules/@aws-sdk/') || p.includes('node_modules/@smithy/'))).toEqual([]);
  expect(loaded.filter((p) => p.endsWith('src/aws/ssm.ts') || p.includes('packages/emulator/'))).toEqual([]);
});
