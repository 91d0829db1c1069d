/**
 * The library as a build script meets it: the package packed by `npm pack`,
 * installed offline into a fresh project, then `import`ed (ES module) and
 * `require`d (CommonJS) by scripts run on both supported Nodes against the
 * emulator, and compiled against the shipped types by tsc. Needs dist/ as
 * `npm run build` leaves it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDotenv } from '../helpers/consumers.js';
import { cliEnv } from '../helpers/cli.js';
import { APP_KEY_ALIAS, loadSeedFile, startEmulator, type RunningEmulator } from '../helpers/emulator.js';
import { runCommand } from '../helpers/spawn.js';

const ROOT = join(import.meta.dirname, '..', '..');
const NODES = { 'Node 24': process.execPath, 'Node 22': join(ROOT, 'node_modules', 'node22', 'bin', 'node') };
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const CANARY = 'CANARY-library';
const SECRETS = { '/consumer/db-password': `${CANARY}-db pa$$ 'word'`, '/consumer/api-key': `${CANARY}-api` };

let work: string;
let project: string;
let emulator: RunningEmulator;
let packedFiles: string[];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ssm-mat-library-'));
  project = join(work, 'project');
  mkdirSync(project);
  emulator = await startEmulator({
    port: 0,
    seed: {
      kms_keys: [{ id: '1234abcd-12ab-34cd-56ef-1234567890ab', aliases: [APP_KEY_ALIAS] }],
      parameters: Object.entries(SECRETS).map(([name, value]) => ({ name, type: 'SecureString', key_id: APP_KEY_ALIAS, value })),
    },
  });
  // --ignore-scripts: pack dist/ as `npm run build` left it, without rebuilding it under running tests.
  const packed = await runCommand('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { env: process.env, cwd: ROOT });
  if (packed.code !== 0) throw new Error(`npm pack failed: ${packed.stderr}`);
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  packedFiles = info!.files.map((f) => f.path);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'build-scripts', version: '1.0.0', private: true }));
  // An empty cache and --offline: the package needs nothing from a registry.
  const installed = await runCommand(
    'npm',
    ['install', '--offline', '--cache', join(work, 'empty-npm-cache'), '--no-audit', '--no-fund', join(work, info!.filename)],
    {
      env: { PATH: process.env.PATH, HOME: work },
      cwd: project,
    },
  );
  if (installed.code !== 0) throw new Error(`npm install failed: ${installed.stderr}`);
}, 180_000);

afterAll(async () => {
  await emulator?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The body both faces run; it prints one JSON report (values never: only what the library returned or threw). */
const SCRIPT_BODY = `
const loaded = () => process.moduleLoadList.includes('NativeModule https');
const report = { exports: Object.keys(library).sort(), sdkLoadedByImport: loaded() };
report.written = await materialize({ manifest: 'materialize.yaml' });
report.sdkLoadedByRun = loaded();
report.again = await materialize({ manifest: 'materialize.yaml' });
report.plan = await plan({ manifest: 'materialize.yaml' });
const entries = [];
report.inline = await materialize({ manifestText: INLINE, baseDir: 'inline', onLog: (e) => entries.push(e) });
report.logged = entries;
const failure = async (run) => {
  try {
    await run();
    return 'resolved';
  } catch (err) {
    return { isToolError: err instanceof ToolError, exitCode: err.exitCode, code: err.code, message: err.message, hint: err.hint, details: err.details, inspected: inspect(err, { depth: null }) };
  }
};
report.missing = await failure(() => materialize({ manifest: 'failing.yaml' }));
report.unknownOption = await failure(() => plan({ manifest: 'materialize.yaml', endpoint: 'http://127.0.0.1:1' }));
process.stdout.write(JSON.stringify(report));
`;

const INLINE = 'version: 1\noutputs:\n  - path: inline.json\n    format: json\n    values:\n      apiKey: /consumer/api-key\n';

const SCRIPTS = {
  'ES module': {
    file: 'build.mjs',
    text: `import * as library from 'ssm-materialize';\nimport { materialize, plan, ToolError } from 'ssm-materialize';\nimport { inspect } from 'node:util';\nconst INLINE = ${JSON.stringify(INLINE)};\n${SCRIPT_BODY}`,
  },
  CommonJS: {
    file: 'build.cjs',
    text: `const library = require('ssm-materialize');\nconst { materialize, plan, ToolError } = require('ssm-materialize');\nconst { inspect } = require('node:util');\nconst INLINE = ${JSON.stringify(INLINE)};\n(async () => {${SCRIPT_BODY}})();\n`,
  },
};

interface Failure {
  isToolError: boolean;
  exitCode: number;
  code: string;
  message: string;
  hint: string;
  details: Record<string, unknown>;
  inspected: string;
}

interface Report {
  exports: string[];
  sdkLoadedByImport: boolean;
  sdkLoadedByRun: boolean;
  written: { outputs: Array<{ path: string; format: string; changed: boolean; reasons: string[]; keys: number; mode: number }>; region: string };
  again: { outputs: Array<{ changed: boolean }> };
  plan: { outputs: Array<{ path: string; status: string; unchanged: number; wouldChange: boolean; mode: { from: string; to: string } }>; wouldChange: number };
  inline: { outputs: Array<{ path: string; changed: boolean }> };
  logged: Array<{ level: string; event: string; fields: Record<string, unknown>; message: string }>;
  missing: Failure;
  unknownOption: Failure;
}

/** A directory of the build project with the manifests the scripts use: one that works, one that names a missing parameter. */
function buildDirectory(name: string): string {
  const dir = join(project, name);
  mkdirSync(join(dir, 'config'), { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, 'inline'), { mode: 0o700 });
  writeFileSync(
    join(dir, 'materialize.yaml'),
    'version: 1\nprefix: /consumer/\noutputs:\n  - path: config/app.env\n    format: dotenv\n    values:\n      DB_PASSWORD: db-password\n      API_KEY: api-key\n',
  );
  writeFileSync(
    join(dir, 'failing.yaml'),
    'version: 1\nprefix: /consumer/\noutputs:\n  - path: config/first.env\n    format: dotenv\n    values:\n      API_KEY: api-key\n  - path: config/second.env\n    format: dotenv\n    values:\n      GONE: not-there\n',
  );
  return dir;
}

describe.concurrent.each(Object.entries(NODES))('the installed package on %s', (node, nodeBinary) => {
  it.each(Object.entries(SCRIPTS))(
    'a build script (%s) writes the outputs 0600, plans, and rejects a failing run with our error, writing nothing',
    async (face, script) => {
      const dir = buildDirectory(`${node}-${face}`.replace(/\W+/g, '-'));
      writeFileSync(join(dir, script.file), script.text);
      // Run from its own directory, as a build script is; the package resolves from the project's node_modules above it.
      const r = await runCommand(nodeBinary, [script.file], { env: cliEnv(emulator.url), cwd: dir });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      // Silent by default: stdout holds only the script's own report, and no value anywhere.
      expect(r.stdout + r.stderr).not.toContain(CANARY);
      const report = JSON.parse(r.stdout) as Report;

      expect(report.exports).toEqual(['ExitCode', 'ToolError', 'materialize', 'plan']);
      // The AWS SDK (its https) is loaded by the first run, not by the import.
      expect([report.sdkLoadedByImport, report.sdkLoadedByRun]).toEqual([false, true]);

      const envFile = join(dir, 'config', 'app.env');
      expect(report.written).toEqual({
        // (owner and group are undefined: the process's; JSON leaves them out)
        outputs: [{ path: envFile, format: 'dotenv', changed: true, reasons: ['new'], keys: 2, mode: 0o600 }],
        region: 'us-east-1',
      });
      expect(readDotenv(readFileSync(envFile, 'utf8'))).toEqual({ DB_PASSWORD: SECRETS['/consumer/db-password'], API_KEY: SECRETS['/consumer/api-key'] });
      expect(statSync(envFile).mode & 0o777).toBe(0o600);
      expect(report.again.outputs.map((o) => o.changed)).toEqual([false]);
      expect(report.plan).toMatchObject({
        wouldChange: 0,
        outputs: [{ path: envFile, status: 'unchanged', unchanged: 2, wouldChange: false, mode: { from: '0600', to: '0600' } }],
      });

      // manifestText: paths anchored at baseDir; onLog got the run's steps, with names and counts only.
      const inlineFile = join(dir, 'inline', 'inline.json');
      expect(report.inline.outputs).toMatchObject([{ path: inlineFile, changed: true }]);
      expect(JSON.parse(readFileSync(inlineFile, 'utf8'))).toEqual({ apiKey: SECRETS['/consumer/api-key'] });
      expect(statSync(inlineFile).mode & 0o777).toBe(0o600);
      expect(report.logged.map((e) => e.event)).toEqual(expect.arrayContaining(['start', 'fetch_start', 'api_call', 'fetched']));
      expect(report.logged.find((e) => e.event === 'fetched')).toMatchObject({ level: 'info', fields: { names: 1 } });

      // A missing parameter: our error and exit code, by name; neither output of that manifest exists, nothing else appeared.
      expect(report.missing).toMatchObject({ isToolError: true, exitCode: 3, code: 'missing_parameters', details: { names: ['/consumer/not-there'] } });
      expect(report.missing.message).toContain('/consumer/not-there');
      expect(report.missing.inspected).not.toContain(CANARY);
      expect(readdirSync(join(dir, 'config')).sort()).toEqual(['app.env']);
      expect(existsSync(join(dir, 'config', 'first.env'))).toBe(false);

      // A misspelt option is refused by name (exit 2), not ignored.
      expect(report.unknownOption).toMatchObject({ isToolError: true, exitCode: 2, code: 'usage' });
      expect(report.unknownOption.message).toContain('unknown option "endpoint"');
      expect(report.unknownOption.hint).toContain('endpointUrl');
    },
  );
});

describe('examples/library', () => {
  const example = join(ROOT, 'examples', 'library');
  let exampleEmulator: RunningEmulator;
  beforeAll(async () => {
    exampleEmulator = await startEmulator({ port: 0, seed: loadSeedFile(join(example, 'seed.yaml')) });
  });
  afterAll(async () => {
    await exampleEmulator?.close();
  });

  it('build.mjs, copied into a project that installed the package, plans with --dry-run, then writes generated/ 0600', async () => {
    const dir = join(project, 'example');
    cpSync(example, dir, { recursive: true });
    const seeded = Object.fromEntries((loadSeedFile(join(example, 'seed.yaml')).parameters ?? []).map((p) => [p.name, String(p.value)]));
    const run = (args: string[]) => runCommand(process.execPath, ['build.mjs', ...args], { env: cliEnv(exampleEmulator.url), cwd: dir });

    const dry = await run(['--dry-run']);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`would write ${join(dir, 'generated', 'build.env')} (+SENTRY_AUTH_TOKEN +MAPS_API_KEY)`);
    expect(dry.stdout).toContain('2 of 2 outputs would change');
    expect(readdirSync(join(dir, 'generated'))).toEqual([]);

    const wrote = await run([]);
    expect(wrote.stderr).toBe('');
    expect(wrote.code).toBe(0);
    expect(wrote.stdout).toContain(`wrote     ${join(dir, 'generated', 'build.env')} (2 keys)`);
    for (const value of Object.values(seeded)) expect(wrote.stdout + dry.stdout).not.toContain(value);
    expect(readDotenv(readFileSync(join(dir, 'generated', 'build.env'), 'utf8'))).toEqual({
      SENTRY_AUTH_TOKEN: seeded['/webapp/build/sentry-auth-token'],
      MAPS_API_KEY: seeded['/webapp/build/maps-api-key'],
    });
    expect(JSON.parse(readFileSync(join(dir, 'generated', 'analytics.json'), 'utf8'))).toEqual({ writeKey: seeded['/webapp/build/analytics-write-key'] });
    for (const f of readdirSync(join(dir, 'generated'))) expect(statSync(join(dir, 'generated', f)).mode & 0o777).toBe(0o600);

    // The manifest names a parameter nobody stored: the script exits with our exit code (3), names it, and leaves the files as they were.
    const before = readdirSync(join(dir, 'generated')).map((f) => readFileSync(join(dir, 'generated', f), 'utf8'));
    writeFileSync(join(dir, 'materialize.yaml'), readFileSync(join(dir, 'materialize.yaml'), 'utf8').replace('maps-api-key', 'maps-api-key-v2'));
    const failed = await run([]);
    expect(failed.code).toBe(3);
    expect(failed.stdout).toBe('');
    expect(failed.stderr).toContain('materialize: 1 required parameter not found:\n  /webapp/build/maps-api-key-v2');
    expect(failed.stderr).toContain('hint: ');
    for (const value of Object.values(seeded)) expect(failed.stderr).not.toContain(value);
    expect(readdirSync(join(dir, 'generated')).map((f) => readFileSync(join(dir, 'generated', f), 'utf8'))).toEqual(before);
  });
});

describe('the shipped types', () => {
  const tsconfig = (files: string[]) => ({
    compilerOptions: {
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      lib: ['es2022'],
      strict: true,
      noEmit: true,
      types: [],
      skipLibCheck: false,
    },
    files,
  });
  const tsc = (dir: string) => runCommand(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json')], { env: { PATH: process.env.PATH }, cwd: dir });

  it('are in the package, and a TypeScript build script typechecks against them, as an ES module and as CommonJS, without @types/node', async () => {
    expect(packedFiles).toEqual(expect.arrayContaining(['dist/library.cjs', 'dist/library.mjs', 'dist/library.d.cts', 'dist/library.d.mts']));
    const dir = join(project, 'typed');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'build.mts'),
      [
        "import { materialize, plan, ToolError, ExitCode, type LogEntry, type MaterializeResult, type PlanResult } from 'ssm-materialize';",
        'const logged: LogEntry[] = [];',
        "const written: MaterializeResult = await materialize({ manifest: 'materialize.yaml', region: 'eu-west-1', fallbackRegions: ['eu-central-1'], timeoutSeconds: 10, onLog: (e) => logged.push(e) });",
        'const modes: number[] = written.outputs.map((o) => o.mode);',
        "const planned: PlanResult = await plan({ manifestText: 'version: 1', baseDir: '.' });",
        'const keys: string[] = planned.outputs.flatMap((o) => [...o.added, ...o.changed]);',
        'try {',
        '  await materialize();',
        '} catch (err) {',
        '  if (err instanceof ToolError && err.exitCode === ExitCode.missing) {',
        "    const names: unknown = err.details['names'];",
        '    const hint: string | undefined = err.hint;',
        '    void [names, hint];',
        '  }',
        '}',
        'void [modes, keys];',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'build.cts'),
      [
        "import { materialize, ToolError, type WrittenOutput } from 'ssm-materialize';",
        'export async function build(): Promise<WrittenOutput[]> {',
        '  try {',
        "    return (await materialize({ endpointUrl: 'http://127.0.0.1:4583' })).outputs;",
        '  } catch (err) {',
        '    if (err instanceof ToolError) throw new Error(`${err.code}: exit ${err.exitCode}`);',
        '    throw err;',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig(['build.mts', 'build.cts'])));
    const r = await tsc(dir);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('refuse what the library refuses: a misspelt option and a wrong type are compile errors', async () => {
    const dir = join(project, 'mistyped');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'build.mts'),
      "import { materialize, plan } from 'ssm-materialize';\nawait materialize({ endpoint: 'http://127.0.0.1:4583' });\nawait plan({ timeoutSeconds: '10' });\n",
    );
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig(['build.mts'])));
    const r = await tsc(dir);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/build\.mts\(2,\d+\): error TS2353: .*'endpoint'/);
    expect(r.stdout).toMatch(/build\.mts\(3,\d+\): error TS2322: /);
  });
});
