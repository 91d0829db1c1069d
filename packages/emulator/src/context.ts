/**
 * What every operation gets: the store, KMS, the access policy and the
 * caller. Kept apart so that reads.ts and writes.ts share it.
 */
import type { AccessPolicy, Principal } from './access.js';
import type { Body } from './input.js';
import type { Kms } from './kms.js';
import type { SsmError } from './ssm-error.js';
import type { ParameterState } from './state.js';
import type { SecretStore } from './secrets.js';
import type { Counters } from './types.js';
import { storageKey } from './validate.js';

export interface OpContext {
  state: ParameterState;
  secrets: SecretStore;
  kms: Kms;
  access: AccessPolicy;
  principal: Principal;
  region: string;
  account: string;
  /** The server's counters: listings add what they looked at. */
  counters: Counters;
}

export type Operation = (body: Body, ctx: OpContext) => unknown;

/** A stored parameter's ARN: one slash after `parameter`, for `/app/db` and `app` alike. */
export const arnOf = (ctx: OpContext, name: string): string => `arn:aws:ssm:${ctx.region}:${ctx.account}:parameter/${storageKey(name)}`;

/** Throw the check's error, if it found one. */
export function raise(e: SsmError | undefined): void {
  if (e) throw e;
}
