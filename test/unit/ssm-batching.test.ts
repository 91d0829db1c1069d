import { describe, expect, it } from 'vitest';
import { batchByBaseName } from '../../src/ssm.js';

describe('batchByBaseName', () => {
  it('fills calls of 10 when no base name repeats: ceil(n / 10) calls', () => {
    const names = Array.from({ length: 23 }, (_, i) => `/app/p${i}`);
    expect(batchByBaseName(names).map((b) => b.length)).toEqual([10, 10, 3]);
  });

  it('never puts two requests for one base name (or a secret and its bare name) in one call', () => {
    const names = ['/a:1', '/a:2', '/a', '/a:old', '/b', '/c:3', '/aws/reference/secretsmanager/s', 's', ...Array.from({ length: 9 }, (_, i) => `/x${i}`)];
    const batches = batchByBaseName(names);
    expect(batches.flat().sort()).toEqual([...new Set(names)].sort());
    for (const batch of batches) {
      expect(batch.length).toBeLessThanOrEqual(10);
      const bases = batch.map((n) => n.replace(/:[^:/]*$/, '').replace('/aws/reference/secretsmanager/', ''));
      expect(new Set(bases).size, JSON.stringify(batch)).toBe(batch.length);
    }
    expect(batches.length).toBe(4);
  });
});
