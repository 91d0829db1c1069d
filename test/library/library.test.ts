/**
 * The built library's edges (dist/library.mjs, as `npm run build` leaves it),
 * in a Node process of its own against the emulator: what it refuses, what
 * its errors carry (and never carry), a failing hook, a throwing logger.
 * test/library/consumer.test.ts covers the installed package end to end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cliEnv } from '../helpers/cli.js';
import { startEmulator, type RunningEmulator } from '../helpers/emulator.js';
import { runCommand } from '../helpers/spawn.js';
import { useTempDir } from '../helpers/tmp.js';
import { LIBRARY_FILES } from '../../scripts/bundle.mjs';

const LIBRARY = pathToFileURL(join(import.meta.dirname, '..', '..', 'dist', LIBRARY_FILES.esm)).href;
const CANARY = 'CANARY-lib-edge';
/** A credential that may read /lib/open/* only. */
const RESTRICTED = { AWS_ACCESS_KEY_ID: 'AKIALIBRESTRICTED', AWS_SECRET_ACCESS_KEY: 'lib-restricted-secret' };

const tempDir = useTempDir();
let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({
    port: 0,
    seed: {
      credentials: [
        {
          access_key_id: RESTRICTED.AWS_ACCESS_KEY_ID,
          secret_access_key: RESTRICTED.AWS_SECRET_ACCESS_KEY,
          allow: {
            parameters: ['arn:aws:ssm:us-east-1:123456789012:parameter/lib/open/*'],
            actions: ['ssm:GetParameters', 'ssm:GetParametersByPath'],
            kms_keys: ['alias/aws/ssm'],
          },
        },
      ],
      parameters: [
        { name: '/lib/open/token', type: 'SecureString', value: `${CANARY}-open` },
        { name: '/lib/closed/token', type: 'SecureString', value: `${CANARY}-closed` },
      ],
    },
  });
});

afterAll(async () => {
  await emulator?.close();
});

interface Outcome {
  resolved?: unknown;
  rejected?: {
    isToolError: boolean;
    exitCode: number;
    code: string;
    message: string;
    hint?: string;
    details: Record<string, unknown>;
    causes: string[];
    inspected: string;
  };
}

/**
 * Runs each named call of `calls` (JavaScript expressions using the library
 * as `lib`) in one process, in order, and returns how each ended.
 */
async function runCalls(dir: string, calls: Record<string, string>): Promise<Record<string, Outcome>> {
  const script = [
    `import * as lib from ${JSON.stringify(LIBRARY)};`,
    "import { inspect } from 'node:util';",
    'const causes = (err) => { const out = []; for (let c = err.cause; c !== undefined && out.length < 10; c = c.cause) out.push(`${c.constructor.name}:${c.name}`); return out; };',
    'const outcomes = {};',
    ...Object.entries(calls).map(
      ([name, call]) =>
        `try { outcomes[${JSON.stringify(name)}] = { resolved: await (${call}) }; } catch (err) { outcomes[${JSON.stringify(name)}] = { rejected: { isToolError: err instanceof lib.ToolError, exitCode: err.exitCode, code: err.code, message: err.message, hint: err.hint, details: err.details, causes: causes(err), inspected: inspect(err, { depth: null }) } }; }`,
    ),
    'process.stdout.write(JSON.stringify(outcomes));',
  ].join('\n');
  writeFileSync(join(dir, 'calls.mjs'), script);
  const r = await runCommand(process.execPath, ['calls.mjs'], { env: cliEnv(emulator.url, RESTRICTED), cwd: dir });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).not.toContain(CANARY);
  return JSON.parse(r.stdout) as Record<string, Outcome>;
}

const manifest = (path: string, name: string, extra = '') =>
  `version: 1\noutputs:\n  - path: ${path}\n    format: dotenv\n${extra}    values:\n      TOKEN: ${name}\n`;

describe('the library', () => {
  it('refuses options it does not know, of the wrong type, or that contradict each other, by name and before any call (exit 2)', async () => {
    const dir = tempDir();
    const outcomes = await runCalls(dir, {
      unknown: "lib.plan({ manifest: 'm.yaml', regoin: 'eu-west-1' })",
      wrongType: "lib.plan({ manifest: 'm.yaml', timeoutSeconds: '10', fallbackRegions: 'eu-west-1' })",
      both: "lib.materialize({ manifest: 'm.yaml', manifestText: 'version: 1' })",
      baseDirAlone: "lib.materialize({ baseDir: '.' })",
      notAnObject: "lib.materialize('m.yaml')",
    });
    for (const o of Object.values(outcomes)) expect(o.rejected).toMatchObject({ isToolError: true, exitCode: 2, code: 'usage' });
    expect(outcomes.unknown!.rejected!.message).toBe('plan(): unknown option "regoin"');
    expect(outcomes.wrongType!.rejected!.message).toBe('plan(): option timeoutSeconds must be a number; option fallbackRegions must be an array of strings');
    expect(outcomes.both!.rejected!.message).toBe('materialize(): give manifest (a file) or manifestText, not both');
    expect(outcomes.baseDirAlone!.rejected!.message).toBe('materialize(): baseDir goes with manifestText');
    expect(outcomes.notAnObject!.rejected!.message).toBe('materialize(): options must be an object');
    expect(emulator.counters().requests).toBe(0);
  });

  it('names inline manifest text by where its paths are anchored, with the line of each problem', async () => {
    const dir = tempDir();
    const outcomes = await runCalls(dir, {
      invalid: `lib.plan({ manifestText: ${JSON.stringify('version: 1\noutputs:\n  - path: a.env\n    format: nope\n    values:\n      A: /lib/open/token\n')}, baseDir: ${JSON.stringify(dir)} })`,
    });
    expect(outcomes.invalid!.rejected).toMatchObject({ isToolError: true, exitCode: 2, code: 'invalid_manifest' });
    expect(outcomes.invalid!.rejected!.message).toMatch(
      new RegExp(`^invalid manifest\\n  ${join(dir, '<manifestText>')}:4(:\\d+)?: outputs\\[0\\]\\.format: unknown format "nope"`),
    );
  });

  it('rejects a denied parameter with exit 4 and writes nothing; the SDK error in its cause keeps its name and frames, not its text', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'm.yaml'),
      `version: 1\noutputs:\n  - path: open.env\n    format: dotenv\n    values:\n      OPEN: /lib/open/token\n  - path: closed.env\n    format: dotenv\n    values:\n      CLOSED: /lib/closed/token\n`,
    );
    const outcomes = await runCalls(dir, { denied: "lib.materialize({ manifest: 'm.yaml' })" });
    const denied = outcomes.denied!.rejected!;
    expect(denied).toMatchObject({ isToolError: true, exitCode: 4, code: 'access_denied', details: { names: ['/lib/closed/token'] } });
    expect(denied.message).toContain('/lib/closed/token');
    // Our errors down the chain, then the stand-in for the SDK's: no response, no metadata, no message of its own.
    expect(denied.causes.at(-1)).toBe('ForeignCause:ForeignCause');
    expect(denied.causes.slice(0, -1).every((c) => /Error:/.test(c) && !c.startsWith('ForeignCause'))).toBe(true);
    expect(denied.inspected).toContain('AccessDeniedException (message not shown: it may quote a parameter value)');
    expect(denied.inspected).not.toMatch(/\$metadata|\$response|httpStatusCode/);
    expect([existsSync(join(dir, 'open.env')), existsSync(join(dir, 'closed.env'))]).toEqual([false, false]);
  });

  it('rejects a failed on_change with exit 6 after writing (the file in place, the hook pending), and ignores a logger that throws', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'out'), { mode: 0o700 });
    writeFileSync(join(dir, 'hook.yaml'), manifest('out/hooked.env', '/lib/open/token', '    on_change: exit 7\n'));
    writeFileSync(join(dir, 'plain.yaml'), manifest('out/plain.env', '/lib/open/token'));
    const outcomes = await runCalls(dir, {
      hook: "lib.materialize({ manifest: 'hook.yaml' })",
      pending: "lib.plan({ manifest: 'hook.yaml' })",
      throwingLogger: "lib.materialize({ manifest: 'plain.yaml', onLog: () => { throw new Error('logger broke') } })",
    });
    expect(outcomes.hook!.rejected).toMatchObject({ isToolError: true, exitCode: 6, code: 'on_change_failed' });
    expect(outcomes.hook!.rejected!.message).toContain('on_change command exited with 7 (the new file is in place)');
    expect(statSync(join(dir, 'out', 'hooked.env')).mode & 0o777).toBe(0o600);
    expect(outcomes.pending!.resolved).toMatchObject({ wouldChange: 1, outputs: [{ status: 'unchanged', hookPending: true, wouldChange: true }] });
    expect(outcomes.throwingLogger!.resolved).toMatchObject({ outputs: [{ path: join(dir, 'out', 'plain.env'), changed: true, keys: 1, mode: 0o600 }] });
    expect(readFileSync(join(dir, 'out', 'plain.env'), 'utf8')).toContain('TOKEN=');
  });
});
