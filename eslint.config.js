// @ts-check
/**
 * The linter's rules, with type information (`npm run lint`, part of `npm test`).
 * Only rules that catch bugs or keep a boundary; layout is the formatter's job.
 */
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import local from './eslint-rules/prototype-lookups.ts';

/** Everything the type checker can catch about promises, unions and imports, for all code. */
const TYPED_RULES = {
  '@typescript-eslint/no-floating-promises': 'error',
  '@typescript-eslint/no-misused-promises': 'error',
  '@typescript-eslint/await-thenable': 'error',
  '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
  // A cast that changes nothing hides the one that matters (the code declares types rather than casting).
  '@typescript-eslint/no-unnecessary-type-assertion': 'error',
  // `typeof import('node:sea')` stays allowed: it names a module's type without loading it.
  '@typescript-eslint/consistent-type-imports': ['error', { disallowTypeAnnotations: false, fixStyle: 'inline-type-imports' }],
};

/**
 * The AWS SDK is reached through one module, src/aws/aws-sdk.ts (it is also what
 * the bundle keeps of the SDK), and that module only from the store adapter
 * (src/aws/ssm.ts) and region resolution (src/regions.ts, for a profile's region).
 * Tests use the SDK as a client would, so this holds for src/ only. no-restricted-imports does not
 * see `import()`, which is how the SDK is loaded lazily: a syntax rule does.
 */
function restrictImports(sources, message) {
  const pattern = sources.map((s) => s.source).join('|');
  return {
    'no-restricted-imports': ['error', { patterns: [{ regex: pattern, message }] }],
    'no-restricted-syntax': ['error', { selector: `ImportExpression[source.value=/${pattern}/]`, message }],
  };
}
// Written without `\/`: the selector syntax does not read an escaped slash.
const SDK_PACKAGES = [/^@aws-sdk[/]/, /^@smithy[/]/];
const SDK_GATE = /[/]aws-sdk[.]js$/;
const SDK_IMPORTERS = ['src/aws/ssm.ts', 'src/regions.ts'];

export default defineConfig(
  { ignores: ['**/dist/**', '**/node_modules/**', '.tmp/**', 'release/**', 'release.work/**', '**/bench/**', 'examples/**', 'templates/**'] },
  {
    files: ['**/*.ts', '**/*.mts', '**/*.mjs', '**/*.js'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        // Scripts are JavaScript outside tsconfig.json: they get a default program (types inferred, no errors reported).
        projectService: {
          allowDefaultProject: ['*.js', '*.ts', 'scripts/*.mjs', 'packages/emulator/scripts/*.mjs'],
          maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 16,
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { '@typescript-eslint': tseslint.plugin, local },
    rules: TYPED_RULES,
  },
  {
    // The product and the emulator: no console (output goes through the io and the log), and the two boundaries.
    files: ['src/**/*.ts', 'packages/emulator/src/**/*.ts'],
    rules: {
      'no-console': 'error',
      'local/prototype-lookups': 'error',
    },
  },
  {
    // The one module that checks a key is the record's own before reading it (each package keeps its own copy).
    files: ['src/records.ts', 'packages/emulator/src/records.ts'],
    rules: { 'local/prototype-lookups': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/aws/aws-sdk.ts', ...SDK_IMPORTERS],
    rules: restrictImports(
      [...SDK_PACKAGES, SDK_GATE],
      'Only the store adapter (src/aws/ssm.ts) and region resolution (src/regions.ts) load the AWS SDK, through src/aws/aws-sdk.ts.',
    ),
  },
  { files: SDK_IMPORTERS, rules: restrictImports(SDK_PACKAGES, 'Import the AWS SDK through src/aws/aws-sdk.ts only.') },
  {
    // The emulator signs as AWS does with smithy's signer, in one module, and depends on no SDK client.
    files: ['packages/emulator/src/**/*.ts'],
    ignores: ['packages/emulator/src/sigv4.ts'],
    rules: restrictImports(SDK_PACKAGES, 'The emulator uses smithy only in sigv4.ts, and no SDK client.'),
  },
);
