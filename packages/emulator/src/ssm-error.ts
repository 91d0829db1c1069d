/**
 * An error as Parameter Store sends it: HTTP 400 (500 for server faults) with
 * `{"__type": name, "message": ...}`. No `code` field: the JS SDK would take
 * the error name from it before `__type`.
 */
export class SsmError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'SsmError';
  }

  body(): { __type: string; message: string } {
    return { __type: this.type, message: this.message };
  }
}

export const validation = (message: string): SsmError => new SsmError('ValidationException', message);

/** Real AWS sends ParameterNotFound with an empty message. */
export const parameterNotFound = (): SsmError => new SsmError('ParameterNotFound', '');
