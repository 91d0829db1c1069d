/** Batching so every GetParameters answer matches exactly one request, whatever Name the store answers with. */
import { describe, expect, it } from 'vitest';
import { answerNames, batchNames, matchAnswer } from '../../src/aws/batches.js';

const REF = '/aws/reference/secretsmanager/';
const ARN = 'arn:aws:ssm:us-east-1:111122223333:parameter';

describe('GetParameters batches', () => {
  it('a reference may come back under its secret name; an ARN under its ARN or the plain name', () => {
    expect(answerNames(`${REF}prod/db`)).toEqual([`${REF}prod/db`, 'prod/db']);
    expect(answerNames(`${ARN}/app/db:3`)).toEqual([`${ARN}/app/db`, '/app/db', 'app/db']);
    expect(answerNames('/app/cert:stable')).toEqual(['/app/cert']);
  });

  it('ten names per call when nothing collides: ceil(n / 10) calls', () => {
    const names = Array.from({ length: 25 }, (_, i) => (i % 3 === 0 ? `${REF}s${i}` : i % 3 === 1 ? `${ARN}/p${i}` : `/p${i}`));
    const batches = batchNames(names, 10);
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(batches.flat()).toEqual(names);
  });

  it('never puts two requests that could share an answer Name in one call', () => {
    // moto answers the secret `db` and the parameter `db` both as Name "db" (and the same ARN).
    const names = ['db', `${REF}db`, `${ARN}/app/x`, '/app/x', `${REF}app/x`, '/app/cert:1', '/app/cert:stable', '/other'];
    const batches = batchNames(names, 10);
    for (const batch of batches) {
      const seen = new Set<string>();
      for (const n of batch)
        for (const k of answerNames(n)) {
          expect(seen.has(k), `${k} twice in ${JSON.stringify(batch)}`).toBe(false);
          seen.add(k);
        }
    }
    expect(batches.flat().sort()).toEqual([...new Set(names)].sort());
    expect(batches.length).toBe(2);
  });

  it('matches AWS-shaped and moto-shaped answers to the request', () => {
    const batch = [`${REF}prod/db`, '/app/cert:3', `${ARN}/shared/key`];
    // AWS: the reference as requested; moto: the bare secret name.
    expect(matchAnswer(batch, { Name: `${REF}prod/db` })).toBe(`${REF}prod/db`);
    expect(matchAnswer(batch, { Name: 'prod/db', ARN: 'arn:aws:ssm:us-east-1:123456789012:parameter/prod/db' })).toBe(`${REF}prod/db`);
    // A selector comes back as a bare Name (plus Selector on AWS).
    expect(matchAnswer(batch, { Name: '/app/cert' })).toBe('/app/cert:3');
    // An ARN request: Name is the ARN, or the plain name; ARN is the ARN.
    expect(matchAnswer(batch, { Name: `${ARN}/shared/key` })).toBe(`${ARN}/shared/key`);
    expect(matchAnswer(batch, { Name: '/shared/key' })).toBe(`${ARN}/shared/key`);
    expect(matchAnswer(batch, { Name: 'whatever', ARN: `${ARN}/shared/key` })).toBe(`${ARN}/shared/key`);
    expect(matchAnswer(batch, { Name: '/not/asked' })).toBeUndefined();
  });
});
