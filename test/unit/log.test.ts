import { describe, expect, it } from 'vitest';
import { Logger, type LogFormat, type Verbosity } from '../../src/log.js';
import { AccessDeniedError, ManifestError, MissingParametersError, OutputError, UnrepresentableValueError } from '../../src/errors.js';

function capture(format: LogFormat = 'text', verbosity: Verbosity = 'normal') {
  const out = { stdout: '', stderr: '' };
  const log = new Logger({ stdout: (s) => (out.stdout += s), stderr: (s) => (out.stderr += s) }, format, verbosity);
  return {
    log,
    out,
    events: () =>
      (out.stdout + out.stderr)
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('Logger', () => {
  it('text: results on stdout, progress and detail only with --verbose, nothing but errors with --quiet', () => {
    const normal = capture();
    normal.log.result('done', {}, 'done');
    normal.log.progress('start', {}, 'start');
    normal.log.detail('api_call', {}, 'call');
    expect(normal.out).toEqual({ stdout: 'done\n', stderr: '' });
    const verbose = capture('text', 'verbose');
    verbose.log.progress('start', {}, 'start');
    verbose.log.detail('api_call', {}, 'call');
    expect(verbose.out.stderr).toBe('start\ncall\n');
    const quiet = capture('text', 'quiet');
    quiet.log.result('done', {}, 'done');
    quiet.log.warn('w', {}, 'careful');
    quiet.log.error(new OutputError('/o/x', 'cannot write'));
    expect(quiet.out).toEqual({ stdout: '', stderr: 'ssm-materialize: /o/x: cannot write\n' });
  });

  it('json: one object per line with time, level and event; progress is part of the deploy log', () => {
    const { log, events } = capture('json');
    log.progress('start', { outputs: 2 }, 'ignored text');
    log.result('done', { changed: 1 }, 'ignored text');
    // events() reads stdout (results) before stderr (progress).
    expect(events()).toEqual([
      expect.objectContaining({ level: 'info', event: 'done', changed: 1 }),
      expect.objectContaining({ level: 'info', event: 'start', outputs: 2 }),
    ]);
    expect(String(events()[0]?.time)).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('json error events carry the structured names, keys and paths of the error', () => {
    const cases: Array<[Error, Record<string, unknown>]> = [
      [new MissingParametersError(['/b', '/a']), { code: 'missing_parameters', exit_code: 3, names: ['/a', '/b'] }],
      [new AccessDeniedError('denied', ['/x']), { code: 'access_denied', exit_code: 4, names: ['/x'] }],
      [new OutputError('/o/app.env', 'cannot write'), { code: 'output_failed', exit_code: 6, path: '/o/app.env' }],
      [new UnrepresentableValueError('docker', ['K'], 'newline'), { code: 'unrepresentable_value', format: 'docker', keys: ['K'] }],
      [new ManifestError([{ file: 'm.yaml', line: 3, message: 'bad' }]), { code: 'invalid_manifest', problems: [{ file: 'm.yaml', line: 3, message: 'bad' }] }],
    ];
    for (const [err, expected] of cases) {
      const { log, events } = capture('json');
      log.error(err);
      expect(events()).toEqual([expect.objectContaining({ level: 'error', event: 'error', ...expected })]);
    }
  });

  it('an internal error prints its kind and stack frames, never its message (it may quote a value)', () => {
    const { log, out } = capture();
    log.error(new TypeError('boom CANARY-value'));
    expect(out.stderr).toMatch(/^ssm-materialize: internal error \(a bug; please report it\):\nTypeError \(message not shown[^\n]*\n\s+at /);
    expect(out.stderr).not.toContain('CANARY');
  });
});
