/**
 * Reading fields of a JSON request body with AWS's model-level errors:
 * a missing required member is a ValidationException naming the member in
 * lowerCamelCase, a member of the wrong JSON type a SerializationException.
 */
import { SsmError, validation } from './ssm-error.js';
import { own } from './records.js';

export type Body = Record<string, unknown>;

const member = (field: string): string => field.charAt(0).toLowerCase() + field.slice(1);
const serialization = (field: string, want: string): SsmError => new SsmError('SerializationException', `${field}: expected ${want}`);

export function requiredString(body: Body, field: string): string {
  const v = own(body, field);
  if (v === undefined || v === null)
    throw validation(`1 validation error detected: Value null at '${member(field)}' failed to satisfy constraint: Member must not be null`);
  if (typeof v !== 'string') throw serialization(field, 'a string');
  return v;
}

export function optionalString(body: Body, field: string): string | undefined {
  const v = own(body, field);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw serialization(field, 'a string');
  return v;
}

export function optionalBoolean(body: Body, field: string): boolean | undefined {
  const v = own(body, field);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw serialization(field, 'a boolean');
  return v;
}

export function optionalInteger(body: Body, field: string): number | undefined {
  const v = own(body, field);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw serialization(field, 'an integer');
  return v;
}

export function stringList(body: Body, field: string, required: boolean): string[] | undefined {
  const v = own(body, field);
  if (v === undefined || v === null) {
    if (required) throw validation(`1 validation error detected: Value null at '${member(field)}' failed to satisfy constraint: Member must not be null`);
    return undefined;
  }
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw serialization(field, 'a list of strings');
  return v as string[];
}

export function objectList(body: Body, field: string): Body[] | undefined {
  const v = own(body, field);
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'object' || x === null || Array.isArray(x))) throw serialization(field, 'a list of structures');
  return v as Body[];
}

/** AWS's wording for a numeric range constraint on a member. */
export function checkRange(field: string, value: number, min: number, max: number): void {
  if (value < min)
    throw validation(
      `1 validation error detected: Value '${value}' at '${member(field)}' failed to satisfy constraint: Member must have value greater than or equal to ${min}`,
    );
  if (value > max)
    throw validation(
      `1 validation error detected: Value '${value}' at '${member(field)}' failed to satisfy constraint: Member must have value less than or equal to ${max}`,
    );
}
