/**
 * The operation table: X-Amz-Target operation name -> handler. Each handler
 * maps a parsed request body to a response body, throwing SsmError for AWS
 * errors.
 */
import type { Operation } from './context.js';
import { describeParameters, getParameter, getParameters, getParametersByPath } from './reads.js';
import { deleteParameter, labelParameterVersion, putParameter } from './writes.js';

export type { OpContext, Operation } from './context.js';

export const OPERATIONS: Record<string, Operation> = {
  GetParameter: getParameter,
  GetParameters: getParameters,
  GetParametersByPath: getParametersByPath,
  PutParameter: putParameter,
  DeleteParameter: deleteParameter,
  LabelParameterVersion: labelParameterVersion,
  DescribeParameters: describeParameters,
};

/** The operations that share the account's GetParameter* throughput quota. */
export const THROTTLED_OPERATIONS = new Set(['GetParameter', 'GetParameters', 'GetParametersByPath']);
