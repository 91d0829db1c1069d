/**
 * Which names share one GetParameters call, and which answer belongs to which
 * requested name.
 *
 * Matching by position is impossible (GetParameters sorts its answers, moto
 * answers in any order), and the answered `Name` is not always the requested
 * one: for a Secrets Manager reference moto answers with the bare secret name
 * (`prod/db` for `/aws/reference/secretsmanager/prod/db`), and a parameter
 * read by ARN may come back under its ARN or its plain name. So each request
 * has a set of names its answer may carry (`answerNames`), and names are
 * batched so that within one call no two requests share any of them: then
 * every answer matches exactly one request, whatever the store put in `Name`.
 * The answered `ARN` field is a second key (for a request by ARN it is that
 * ARN). A selector (`:3`, `:label`) is not part of the match: AWS moves it
 * to a separate `Selector` field and moto drops it, so two selectors of one
 * name are never sent in one call either.
 */
import { baseName, isSecretReference, parseParameterArn, secretIdOf } from '../names.js';

/** GetParameters accepts at most 10 names. */
export const NAMES_PER_CALL = 10;

/** Names the answer to `requested` may carry in `Name` or `ARN` (selector stripped). */
export function answerNames(requested: string): string[] {
  const base = baseName(requested);
  const names = [base];
  if (isSecretReference(base)) names.push(secretIdOf(base));
  const arn = parseParameterArn(base);
  if (arn) names.push(arn.name, arn.name.slice(1));
  return names;
}

/**
 * Distinct names in calls of at most `size`, in request order, such that no
 * two names of one call share an answer name. First fit: a batch is only
 * opened for a name that collides with, or does not fit in, every open one.
 */
export function batchNames(names: readonly string[], size: number): string[][] {
  const batches: Array<{ names: string[]; taken: Set<string> }> = [];
  for (const name of new Set(names)) {
    const keys = answerNames(name);
    let batch = batches.find((b) => b.names.length < size && !keys.some((k) => b.taken.has(k)));
    if (!batch) batches.push((batch = { names: [], taken: new Set() }));
    batch.names.push(name);
    for (const k of keys) batch.taken.add(k);
  }
  return batches.map((b) => b.names);
}

/** The request in `batch` an answer belongs to, or undefined for an answer nobody asked for. */
export function matchAnswer(batch: readonly string[], answer: { Name?: string; ARN?: string }): string | undefined {
  return batch.find((requested) => {
    const names = answerNames(requested);
    return (answer.Name !== undefined && names.includes(answer.Name)) || (answer.ARN !== undefined && names.includes(answer.ARN));
  });
}
