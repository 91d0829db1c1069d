/**
 * Internal errors never print a value: errors from Node and libraries quote
 * their inputs, so only their kind, code and stack frames are shown (issue 8,
 * item 4). Each case is a real error, produced with a canary as its input.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { Logger } from '../../src/log.js';
import { describeInternalError } from '../../src/redact.js';
import { mapSdkError } from '../../src/aws/sdk-errors.js';
import { CLI } from '../helpers/cli.js';

/** The version --version prints: package.json's. */

const CANARY = 'CANARY-redact-51c0';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

/** Real errors that quote their input; each must really contain the canary (positive control). */
const embedding: Array<[string, unknown]> = [
  ['spawn with a NUL in the environment (ERR_INVALID_ARG_VALUE)', thrown(() => spawnSync('/bin/true', [], { env: { K: `${CANARY}\u0000x` } }))],
  ['an argument of the wrong type (ERR_INVALID_ARG_TYPE)', thrown(() => Buffer.alloc(CANARY as unknown as number))],
  ['JSON.parse of a value (SyntaxError)', thrown(() => JSON.parse(CANARY))],
  ['the yaml parser on a value (YAMLParseError)', thrown(() => parseYaml(`a: "${CANARY}\n`))],
  ['a thrown string', CANARY],
];

describe('internal errors', () => {
  for (const [name, err] of embedding) {
    it(`${name}: kind, code and frames are printed, the message is not (text and json logs)`, () => {
      const raw = err instanceof Error ? `${err.message}\n${err.stack}` : String(err);
      expect(raw).toContain(CANARY);
      for (const format of ['text', 'json'] as const) {
        let stderr = '';
        new Logger({ stdout: () => undefined, stderr: (s) => (stderr += s) }, format).error(err);
        expect(stderr).not.toContain(CANARY);
        expect(stderr).toContain('internal');
        if (err instanceof Error) {
          expect(stderr).toContain(err.name);
          expect(stderr).toMatch(/\n\s+at |\\n\s+at /);
          const code = (err as { code?: string }).code;
          if (code) expect(stderr).toContain(code);
        }
        if (format === 'json') expect(JSON.parse(stderr)).toMatchObject({ code: 'internal', exit_code: 70 });
      }
    });
  }

  it('keeps the message of our own `internal:` assertions (built from keys, never values)', () => {
    const text = describeInternalError(new Error('internal: duplicate key "DB_HOST" passed to a format'));
    expect(text).toContain('Error: internal: duplicate key "DB_HOST" passed to a format');
    // Only a plain Error we threw: a subclass from a library with the same prefix is not trusted.
    expect(describeInternalError(new TypeError(`internal: ${CANARY}`))).not.toContain(CANARY);
  });

  it('an SDK error from a response it could not parse is reported without its message', () => {
    const parseFailure = Object.assign(thrown(() => JSON.parse(`{"Parameters":[{"Value":"${CANARY}`)) as Error, { $metadata: { httpStatusCode: 200 } });
    const syntax = Object.assign(new SyntaxError(`Unexpected token 'x', "${CANARY}" is not valid JSON`), { $metadata: {} });
    for (const err of [parseFailure, syntax]) {
      const mapped = mapSdkError(err, 'GetParameters', ['/app/db/password']);
      expect(mapped.exitCode).toBe(5);
      expect(mapped.message).toContain('/app/db/password');
      expect(mapped.message).not.toContain(CANARY);
    }
  });
});

describe('errors thrown outside main (built CLI)', () => {
  // A preload that throws (or rejects) right after the CLI first writes to stdout
  // (straight to descriptor 1: src/startup/output.ts), i.e. once bin.ts is running. The canary is assembled at run time so that the
  // preload's own source, which shows up in stack frames, does not contain it.
  for (const [kind, raise] of [
    ['an uncaught exception', 'setImmediate(()=>{throw new TypeError(c)})'],
    ['an unhandled rejection', 'setImmediate(()=>{Promise.reject(new SyntaxError(c))})'],
  ] as const) {
    it(`${kind} exits 70 with kind and frames, without the message`, () => {
      const preload = `data:text/javascript,import fs from "node:fs";const c=["${CANARY.slice(0, 6)}","${CANARY.slice(6)}"].join("");const w=fs.writeSync;fs.writeSync=(...a)=>{if(a[0]===1){${raise}}return w(...a)}`;
      // --help, not --version: a lone --version is answered before the bundle (and bin.ts's handlers) loads.
      const r = spawnSync(process.execPath, ['--import', preload, CLI, '--help'], { encoding: 'utf8', env: { PATH: process.env.PATH } });
      expect(r.stdout).toContain('Usage: ssm-materialize');
      expect(r.status).toBe(70);
      expect(r.stderr).toContain('internal error');
      expect(r.stderr).toMatch(/(TypeError|SyntaxError) \(message not shown/);
      expect(r.stderr).not.toContain(CANARY);
    });
  }
});
