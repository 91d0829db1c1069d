import { describe, expect, it } from 'vitest';
import { compareKeys, modeString, type OutputDiff } from '../../src/diff.js';
import { describe as describeDiff } from '../../src/commands/plan.js';

const base: OutputDiff = {
  path: '/o/app.env',
  format: 'dotenv',
  status: 'changed',
  added: [],
  removed: [],
  changed: [],
  unchanged: 0,
  opaque: false,
  reasons: ['content'],
  mode: { from: '0644', to: '0600' },
  hookPending: false,
};

describe('plan diffs', () => {
  it('compares two parsed files key by key', () => {
    expect(compareKeys({ A: '1', B: '2', GONE: 'x' }, { A: '1', B: 'two', NEW: 'n' })).toEqual({
      added: ['NEW'],
      removed: ['GONE'],
      changed: ['B'],
      unchanged: 1,
    });
    expect(compareKeys({}, {})).toEqual({ added: [], removed: [], changed: [], unchanged: 0 });
  });

  it('prints modes as four octal digits', () => {
    expect(modeString(0o600)).toBe('0600');
    expect(modeString(0o4755)).toBe('4755');
  });

  it('describes a changed output by key name, with mode and owner changes', () => {
    const text = describeDiff({ ...base, added: ['NEW'], removed: ['GONE'], changed: ['B'], unchanged: 1, reasons: ['content', 'mode', 'owner'] });
    expect(text).toBe(
      '~ /o/app.env (dotenv): 1 added, 1 removed, 1 changed, 1 unchanged; mode 0644 -> 0600; owner/group changes\n    + NEW\n    - GONE\n    ~ B',
    );
  });

  it('describes new, unchanged and opaque outputs', () => {
    expect(describeDiff({ ...base, status: 'new', added: ['A'], mode: { from: undefined, to: '0600' } })).toBe(
      '+ /o/app.env (dotenv): new file, mode 0600, 1 keys\n    + A',
    );
    expect(describeDiff({ ...base, status: 'unchanged', unchanged: 3 })).toBe('= /o/app.env (dotenv): up to date, 3 keys');
    expect(describeDiff({ ...base, opaque: true })).toContain('content differs (not comparable key by key)');
  });
});
