/** The manifest's JSON Schema through a real validator (ajv, strict), as a test reads it. */
import { Ajv, type ValidateFunction } from 'ajv';

export function jsonSchemaValidator(schema: object): { validate: ValidateFunction; errorsText: () => string } {
  // strictRequired is off: a rule's `if: { required: [format] }` names a key declared beside it, not inside it.
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
  // The message yaml-language-server and VS Code show for a refused key: an annotation to ajv.
  ajv.addVocabulary(['errorMessage']);
  const validate = ajv.compile(schema);
  return { validate, errorsText: () => ajv.errorsText(validate.errors) };
}
