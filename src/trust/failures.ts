/**
 * The one decision on what a run does when something it asked the store for
 * failed: stop, read everything again from the next region, or keep the last
 * good outputs (`write --keep-last-good`). Nothing else in the code decides
 * this; the pipeline collects every failure of a region's fetch (no call is
 * cut short by another's failure) and asks here.
 *
 * The rule: fallback and last-good exist for an outage, so they apply only
 * when EVERY failure is "unavailable". A parameter the store answered as
 * missing, or refused (IAM, KMS), is a fact about that parameter, not an
 * outage: it stops the run whatever else failed, so that a deleted or revoked
 * secret is never served from another region or from yesterday's file.
 *
 * Exit code of a stop, by precedence: a denial (4) before a missing
 * parameter (3), because a denied call says nothing about whether its names
 * exist, so the missing list may be incomplete while the denied one is exact;
 * then any other definite error (its own code: an invalid request, an answer
 * without a value); unavailable (5) only when nothing else failed.
 */
import { AccessDeniedError, MissingParametersError, StoreCallsFailed, StoreUnavailableError, ToolError } from '../errors.js';

export type FailureKind = 'missing' | 'denied' | 'unavailable' | 'other';

export interface Failure {
  kind: FailureKind;
  /** The region the failing call went to; undefined: the SDK's default. */
  region: string | undefined;
  error: ToolError;
}

export interface DecisionOptions {
  /** The region to read from next, if one is left. */
  nextRegion: string | undefined;
  /** `write --keep-last-good`: the caller can keep its last good outputs. */
  keepLastGood: boolean;
}

export type Decision =
  | { action: 'proceed' }
  | { action: 'stop'; exitCode: number; error: ToolError }
  | { action: 'fallback'; to: string; cause: ToolError }
  | { action: 'keep-last-good'; cause: ToolError };

const PRECEDENCE: readonly FailureKind[] = ['denied', 'missing', 'other', 'unavailable'];

export function decideFailures(failures: readonly Failure[], options: DecisionOptions): Decision {
  if (failures.length === 0) return { action: 'proceed' };
  const decisive = PRECEDENCE.find((kind) => failures.some((f) => f.kind === kind)) ?? 'unavailable';
  const error = combinedError(failures, decisive);
  if (decisive !== 'unavailable') return { action: 'stop', exitCode: error.exitCode, error };
  if (options.nextRegion !== undefined) return { action: 'fallback', to: options.nextRegion, cause: error };
  if (options.keepLastGood) return { action: 'keep-last-good', cause: error };
  return { action: 'stop', exitCode: error.exitCode, error };
}

/** What kind of failure an error of a store call is; anything that is no ToolError is a bug and is not classified. */
export function failureKind(error: ToolError): FailureKind {
  if (error instanceof MissingParametersError) return 'missing';
  if (error instanceof AccessDeniedError) return 'denied';
  if (error instanceof StoreUnavailableError) return 'unavailable';
  return 'other';
}

/**
 * The failures one thrown error stands for: a StoreCallsFailed holds several
 * (one per failed call, plus names answered missing by the calls that
 * worked). Errors that are no ToolError are bugs: thrown again as they are.
 */
export function failuresOf(err: unknown, region: string | undefined): Failure[] {
  if (err instanceof StoreCallsFailed) {
    const failures: Failure[] = err.errors.map((error) => ({ kind: failureKind(error), region, error }));
    // Without the manifest at hand, a name answered missing counts as required: the safe direction (stop, never fall back).
    return err.missing.length ? [...failures, { kind: 'missing', region, error: new MissingParametersError(err.missing) }] : failures;
  }
  if (err instanceof ToolError) return [{ kind: failureKind(err), region, error: err }];
  throw err;
}

/**
 * One error for the decision: the decisive kind's errors merged (every
 * missing name in one list), and the other failures of the run named after
 * it, so that the operator sees all of them at once. Names and codes only:
 * every message here was built without a value.
 */
function combinedError(failures: readonly Failure[], decisive: FailureKind): ToolError {
  const main = failures.filter((f) => f.kind === decisive);
  const rest = failures.filter((f) => f.kind !== decisive);
  const first = (main[0] as Failure).error;
  let head: ToolError = first;
  if (decisive === 'missing' && main.length > 1) {
    const names = [...new Set(main.flatMap((f) => (f.error as MissingParametersError).names))];
    head = new MissingParametersError(names, { hint: first.hint, cause: first });
  } else if (main.length > 1) {
    head = new ToolError(first.code, first.exitCode, main.map((f) => f.error.message).join('\n'), { hint: first.hint, cause: first, details: first.details });
  }
  if (rest.length === 0) return head;
  const also = rest.map((f) => `  ${f.kind}${f.region ? ` (${f.region})` : ''}: ${f.error.message.split('\n').join('\n    ')}`);
  return new ToolError(head.code, head.exitCode, `${head.message}\nother failures of the same run:\n${also.join('\n')}`, {
    hint: head.hint,
    cause: head,
    details: { ...head.details, other_failures: rest.map((f) => ({ kind: f.kind, region: f.region, code: f.error.code })) },
  });
}

/**
 * The decision "keep the last good outputs", on its way to `write`, the one
 * command that can act on it (src/commands/write.ts). Exit 5 should nothing
 * act on it.
 */
export class KeepLastGood extends ToolError {
  readonly unavailable: ToolError;
  constructor(unavailable: ToolError) {
    super(unavailable.code, unavailable.exitCode, unavailable.message, { hint: unavailable.hint, cause: unavailable, details: unavailable.details });
    this.unavailable = unavailable;
  }
}
