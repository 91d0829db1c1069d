import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/manifest.js';
import { fetchAll, planFetch } from '../../src/fetch.js';
import { resolveOutputs } from '../../src/resolve.js';
import { renderOutputs } from '../../src/render.js';
import { ManifestError, MissingParametersError, type ToolError, UnrepresentableValueError } from '../../src/errors.js';
import { MemoryStore } from '../helpers/memory-store.js';

const manifest = (text: string) => parseManifest(text, 'm.yaml', {}, '/out');

async function resolve(text: string, values: Record<string, string>) {
  const m = manifest(text);
  const store = new MemoryStore(values);
  return { resolved: resolveOutputs(m, await fetchAll(store, planFetch(m))), store };
}

describe('pipeline: plan, fetch, resolve, render', () => {
  it('deduplicates names across outputs and keeps output order', async () => {
    const m = manifest(`version: 1
prefix: /app
outputs:
  - { path: a.env, format: dotenv, values: { B: b, A: a }, paths: [ { path: env, recursive: true } ] }
  - { path: b.json, format: json, values: { x.a: a, x.c: { parameter: c, optional: true, default: dflt } } }
`);
    expect(planFetch(m)).toEqual({ names: ['/app/b', '/app/a', '/app/c'], paths: [{ path: '/app/env', recursive: true }] });
    const store = new MemoryStore({ '/app/a': 'A', '/app/b': 'B', '/app/env/z': 'Z', '/app/env/sub/y': 'Y' });
    const resolved = resolveOutputs(m, await fetchAll(store, planFetch(m)));
    expect(resolved.map((r) => r.entries)).toEqual([
      [
        ['B', 'B'],
        ['A', 'A'],
        ['SUB_Y', 'Y'],
        ['Z', 'Z'],
      ],
      [
        ['x.a', 'A'],
        ['x.c', 'dflt'],
      ],
    ]);
  });

  it('names every missing required parameter and empty path at once', async () => {
    const err = await resolve(
      `version: 1
outputs:
  - { path: a.env, format: dotenv, values: { A: /m/one, B: /m/two:3, C: { parameter: /m/three, optional: true } }, paths: [ /m/empty ] }
  - { path: b.env, format: dotenv, values: { D: /m/four }, paths: [ { path: /m/empty2, optional: true } ] }
`,
      {},
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingParametersError);
    expect((err as MissingParametersError).exitCode).toBe(3);
    expect((err as MissingParametersError).names).toEqual(['/m/empty/* (no parameters under this path)', '/m/four', '/m/one', '/m/two:3']);
  });

  it('refuses two parameters that map to the same key', async () => {
    const err = await resolve(
      'version: 1\noutputs:\n  - { path: a.env, format: dotenv, values: { DB_HOST: /x/h }, paths: [ { path: /p, recursive: true } ] }\n',
      {
        '/x/h': '1',
        '/p/db/host': '2',
        '/p/db-host': '3',
      },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as ManifestError).problems.map((p) => p.message)).toEqual([
      'a.env: key DB_HOST comes from both /x/h and /p/db-host'.replace('a.env', '/out/a.env'),
      '/out/a.env: key DB_HOST comes from both /x/h and /p/db/host',
    ]);
  });

  it('refuses unrepresentable values by key across outputs, never quoting the value', async () => {
    const canary = 'CANARY\u0000VALUE';
    const { resolved } = await resolve('version: 1\noutputs:\n  - { path: a.env, format: shell, values: { GOOD: /g, BAD: /b } }\n', {
      '/g': 'fine',
      '/b': canary,
    });
    let err: unknown;
    try {
      renderOutputs(resolved);
    } catch (e) {
      err = e;
    }
    expect((err as ToolError).cause).toBeInstanceOf(UnrepresentableValueError);
    expect((err as ToolError).exitCode).toBe(6);
    expect((err as Error).message).toContain('/out/a.env: shell: cannot represent the value of "BAD"');
    expect((err as Error).message).not.toContain('CANARY');
  });
});

describe('key names, checked once each', () => {
  it('a key from `paths` that the format refuses is an error at the paths line; a bad `values` key is caught offline', async () => {
    const text = `version: 1
outputs:
  - path: a.env
    format: dotenv
    values: { GOOD: /k/good }
    paths: [ /k/env ]
`;
    const err = await resolve(text, { '/k/good': 'g', '/k/env/1st': 'x', '/k/env/ok': 'y' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as ManifestError).problems).toEqual([
      expect.objectContaining({
        file: expect.stringMatching(/m\.yaml$/),
        line: 6,
        message: expect.stringContaining('key "1ST" (from /k/env/1st) is not a valid name for format dotenv'),
      }),
    ]);
    const offline = (() => {
      try {
        return manifest(text.replace('GOOD: /k/good', '1BAD: /k/good'));
      } catch (e) {
        return e;
      }
    })();
    expect(offline).toBeInstanceOf(ManifestError);
    expect((offline as ManifestError).problems).toEqual([expect.objectContaining({ line: 5, message: 'key "1BAD" is not a valid name for format dotenv' })]);
  });
});
