/**
 * The whole pipeline (manifest, fetch, render, stage, verify, commit, hooks)
 * in-process through `main(argv, io)` on an in-memory store: argv in, exit
 * code, output and files out.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDotenv, readJson } from '../helpers/consumers.js';
import { MemoryStore } from '../helpers/memory-store.js';
import { runMain } from '../helpers/main.js';
import { useTempDir } from '../helpers/tmp.js';

const tempDir = useTempDir();
const SECRET = 'MEMORY-SECRET-VALUE';

function setup(extra = ''): { dir: string; manifest: string; store: MemoryStore } {
  const dir = tempDir();
  const manifest = join(dir, 'm.yaml');
  writeFileSync(
    manifest,
    `version: 1
outputs:
  - path: app.env
    format: dotenv
    values: { A: /app/a, B: { parameter: /app/b, optional: true, default: dflt } }
    paths: [ /app/env ]
${extra}  - path: config.json
    format: json
    values: { db.password: /app/a }
`,
  );
  const store = new MemoryStore({ '/app/a': SECRET, '/app/env/C': 'c-value' });
  return { dir, manifest, store };
}

describe('write on an in-memory store', () => {
  it('writes every output with mode 0600, reports per output and closes the store', async () => {
    const { dir, manifest, store } = setup();
    const r = await runMain(['write', '-m', manifest], { store });
    expect(r.code).toBe(0);
    expect(readDotenv(readFileSync(join(dir, 'app.env'), 'utf8'))).toEqual({ A: SECRET, B: 'dflt', C: 'c-value' });
    expect(readJson(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual({ db: { password: SECRET } });
    expect(statSync(join(dir, 'app.env')).mode & 0o777).toBe(0o600);
    expect(r.stdout).toContain(`wrote     ${join(dir, 'app.env')} (dotenv, 3 keys, mode 0600)`);
    expect(r.stdout).toContain('done: 2 outputs, 2 changed, 2 API calls');
    expect(store.calls).toEqual(['get 2', 'list /app/env']);
    expect(store.closed).toBe(true);
    expect(r.stdout + r.stderr).not.toContain(SECRET);

    const again = await runMain(['write', '-m', manifest], { store });
    expect(again.stdout).toContain('done: 2 outputs, 0 changed');
  });

  it('a failing verify of the second output leaves the first one untouched too, and no temp file', async () => {
    const { dir, manifest, store } = setup();
    writeFileSync(join(dir, 'app.env'), 'A=old\n', { mode: 0o600 });
    const text = readFileSync(manifest, 'utf8').replace('    values: { db.password: /app/a }\n', '    values: { db.password: /app/a }\n    verify: "exit 4"\n');
    writeFileSync(manifest, text);
    const r = await runMain(['write', '-m', manifest], { store });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('verify command exited with 4');
    expect(readFileSync(join(dir, 'app.env'), 'utf8')).toBe('A=old\n');
    expect(existsSync(join(dir, 'config.json'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('runs on_change only for the outputs that changed, after every output is in place', async () => {
    const { dir, manifest, store } = setup();
    const log = join(dir, 'hooks.log');
    // The hook of the first output checks that the second one is already committed.
    const hook = `    on_change: 'test -f ${join(dir, 'config.json')} && echo "changed $SSM_MATERIALIZE_OUTPUT" >> ${log}'\n`;
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('    paths: [ /app/env ]\n', `    paths: [ /app/env ]\n${hook}`));
    expect((await runMain(['write', '-m', manifest], { store })).code).toBe(0);
    expect(readFileSync(log, 'utf8')).toBe(`changed ${join(dir, 'app.env')}\n`);
    expect((await runMain(['write', '-m', manifest], { store })).code).toBe(0);
    expect(readFileSync(log, 'utf8')).toBe(`changed ${join(dir, 'app.env')}\n`);
  });

  it('fails with exit 3 before touching any file when a required parameter is missing', async () => {
    const { dir, manifest } = setup();
    const r = await runMain(['write', '-m', manifest], { store: new MemoryStore({ '/app/env/C': 'c' }) });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('/app/a');
    expect(readdirSync(dir)).toEqual(['m.yaml']);
  });

  it('checks owners and directories before opening the store', async () => {
    const { manifest, store } = setup('  - { path: /nonexistent-dir-h9/x.env, format: dotenv, values: { A: /app/a } }\n');
    const r = await runMain(['write', '-m', manifest], { store });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('directory /nonexistent-dir-h9 does not exist');
    expect(store.calls).toEqual([]);
  });
});

describe('plan, check and exec on an in-memory store', () => {
  it('plan reports keys by name and writes nothing; check turns pending changes into exit 1', async () => {
    const { dir, manifest, store } = setup();
    const plan = await runMain(['plan', '-m', manifest], { store });
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain(`+ ${join(dir, 'app.env')} (dotenv): new file, mode 0600, 3 keys`);
    expect(readdirSync(dir)).toEqual(['m.yaml']);
    expect((await runMain(['check', '-m', manifest], { store })).code).toBe(1);
    await runMain(['write', '-m', manifest], { store });
    expect((await runMain(['check', '-m', manifest], { store })).code).toBe(0);
    store.set('/app/env/C', 'NEW-C-VALUE');
    store.set('/app/env/D', 'NEW-D-VALUE');
    const changed = await runMain(['plan', '-m', manifest], { store });
    expect(changed.stdout).toContain(`~ ${join(dir, 'app.env')} (dotenv): 1 added, 0 removed, 1 changed, 2 unchanged\n    + D\n    ~ C`);
    expect(changed.stdout + changed.stderr).not.toMatch(/NEW-|MEMORY-SECRET/);
  });

  it('exec hands the values to the child and writes nothing', async () => {
    const { dir, manifest, store } = setup();
    const probe = join(dir, 'probe.json');
    const script = `require('fs').writeFileSync(${JSON.stringify(probe)}, JSON.stringify({A: process.env.A, C: process.env.C}))`;
    const r = await runMain(['exec', '-m', manifest, '--output', 'app.env', '--', process.execPath, '-e', script], { store });
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(probe, 'utf8'))).toEqual({ A: SECRET, C: 'c-value' });
    expect(readdirSync(dir).sort()).toEqual(['m.yaml', 'probe.json']);
  });

  it('arguments after -- are refused for other commands before anything runs', async () => {
    const { dir, manifest, store } = setup();
    const r = await runMain(['write', '-m', manifest, '--', 'echo'], { store });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('are only for `exec`');
    expect(readdirSync(dir)).toEqual(['m.yaml']);
  });
});
