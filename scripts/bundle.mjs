// One definition of how src/bin.ts becomes a single-file CommonJS bundle,
// shared by `npm run build` (dist/, run by the launcher src/startup/launch.ts) and
// `npm run release` (the bundle as published, and the script inside the
// standalone executable, which runs CommonJS only).
//
// Start-up is paid for every byte: Node reads and compiles the whole file
// before the first line runs, even for `--version`. So:
// - the AWS SDK is bundled on its own first, from its ES modules, which
//   tree-shakes it (src/aws/aws-sdk.ts says why the main build cannot);
// - whitespace and syntax are minified, identifiers kept, so a bug report's
//   stack frames still name our functions;
// - CommonJS, not ESM: an ESM bundle imports every Node built-in any part
//   of it uses (http, crypto, zlib...) before it starts; here a `require`
//   runs only when the code that needs it does.
import { build } from 'esbuild';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { bundleEmulatorCommand } from '@ssm-materialize/emulator/bundle';
import { bundledPackages, thirdPartyNotices } from './licenses.mjs';
import { writeCliReference } from './cli-docs.mjs';

const root = join(import.meta.dirname, '..');
const sdkEntry = join(root, 'src', 'aws', 'aws-sdk.ts');
const minify = { minifyWhitespace: true, minifySyntax: true, minifyIdentifiers: false };

/** Options of every CommonJS file we build (the bundle, the launcher). */
export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  // `import()` of a Node built-in becomes `require`: a script compiled with
  // vm.Script (the launcher) has no loader for dynamic imports.
  supported: { 'dynamic-import': false },
  ...minify,
};

/** Serves src/aws/aws-sdk.ts as its own tree-shaken bundle; `inputs` collects the files that went into it. */
const sdkPrebundle = (inputs) => ({
  name: 'aws-sdk-prebundle',
  setup(b) {
    b.onResolve({ filter: /\/aws-sdk\.js$/ }, (args) =>
      join(args.resolveDir, args.path).replace(/\.js$/, '.ts') === sdkEntry ? { path: sdkEntry, namespace: 'aws-sdk' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'aws-sdk' }, async () => {
      const sdk = await build({
        ...BUNDLE_OPTIONS,
        entryPoints: [sdkEntry],
        write: false,
        format: 'esm',
        // The SDK's packages ship ES modules under "module"; only those tree-shake.
        mainFields: ['module', 'main'],
        metafile: true,
      });
      inputs.push(...bundledInputs(sdk.metafile));
      return { contents: sdk.outputFiles[0].text, loader: 'js', resolveDir: root };
    });
  },
});

/** The AWS SDK's file of its own (src/startup/parts.ts names it SDK_PART; a test holds the names equal). */
export const SDK_FILE = 'ssm-materialize-aws-sdk.cjs';
/** The bundle as an asset of the standalone executable (parts.ts: BUNDLE_PART). */
export const BUNDLE_PART = 'ssm-materialize.bundle.cjs';
/** The asset holding a part's code cache in the executable (parts.ts: codeCacheAsset). */
export const codeCacheAsset = (part) => `${part}.v8cache`;

/** src/aws/aws-sdk.ts as a CommonJS file of its own (SDK_FILE), tree-shaken as sdkPrebundle's is; returns the source files whose code is in it. */
export async function bundleSdk(outfile) {
  const sdk = await build({ ...BUNDLE_OPTIONS, entryPoints: [sdkEntry], outfile, mainFields: ['module', 'main'], metafile: true });
  return { inputs: bundledInputs(sdk.metafile) };
}

/**
 * Leaves the AWS SDK out of the bundle (src/startup/parts.ts says why): an
 * import of src/aws/aws-sdk.ts becomes a load of SDK_FILE, from the
 * executable's assets inside a standalone executable, else from beside the
 * bundle (where the npm bin's `require` compiles it through its code cache).
 */
const sdkAsPart = {
  name: 'aws-sdk-as-part',
  setup(b) {
    b.onResolve({ filter: /\/aws-sdk\.js$/ }, (args) =>
      join(args.resolveDir, args.path).replace(/\.js$/, '.ts') === sdkEntry ? { path: sdkEntry, namespace: 'aws-sdk-part' } : undefined,
    );
    b.onResolve({ filter: /^\.\/ssm-materialize-aws-sdk\.cjs$/ }, (args) => ({ path: args.path, external: true }));
    b.onLoad({ filter: /.*/, namespace: 'aws-sdk-part' }, () => ({
      contents: [
        `const { fromSeaAsset } = require(${JSON.stringify(join(root, 'src', 'startup', 'parts.ts'))});`,
        `module.exports = fromSeaAsset(${JSON.stringify(SDK_FILE)}) ?? require(${JSON.stringify(`./${SDK_FILE}`)});`,
      ].join('\n'),
      loader: 'js',
      resolveDir: root,
    }));
  },
};

/** The source files whose code is in the output (esbuild's metafile), as absolute paths. */
function bundledInputs(metafile) {
  return Object.values(metafile.outputs)
    .flatMap((o) =>
      Object.entries(o.inputs)
        .filter(([, i]) => i.bytesInOutput > 0)
        .map(([path]) => path),
    )
    .filter((path) => !path.includes(':'))
    .map((path) => join(root, path));
}

/**
 * string-width (yargs and its help layout use it) builds an Intl.Segmenter
 * and several Unicode-property regular expressions as its module loads,
 * a visible share of start-up in every run, for a function that only
 * `--help` calls. Each import of it gets a stand-in that loads the real
 * module on the first call.
 */
const deferStringWidth = {
  name: 'defer-string-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, async (args) => {
      if (args.pluginData?.real) return undefined; // the stand-in's own import: the real module
      const real = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: { real: true } });
      if (real.errors.length) return { errors: real.errors };
      return { path: real.path, namespace: 'deferred-string-width' };
    });
    b.onLoad({ filter: /.*/, namespace: 'deferred-string-width' }, (args) => ({
      contents: [
        'let real;',
        'export default function stringWidth(string, options) {',
        `  real ??= require(${JSON.stringify(args.path)}).default;`,
        '  return real(string, options);',
        '}',
      ].join('\n'),
      loader: 'js',
      resolveDir: root,
    }));
  },
};

/**
 * yargs' platform shim imports `notStrictEqual` and `strictEqual` from
 * `assert`, and Node's assert module loads its diff and error machinery with
 * it: a visible share of every start. yargs uses them as invariants, and one
 * as a signal it catches at once: every instance looks for a package.json
 * above the running script to guess a version, which inside the executable
 * is never there. The stand-ins make the same comparison (Object.is, as
 * Node's do) and throw an error with assert's code, without loading it.
 */
const yargsAssertStandIns = {
  name: 'yargs-assert-stand-ins',
  setup(b) {
    b.onResolve({ filter: /^assert$/ }, (args) =>
      /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]/.test(args.importer) ? { path: 'assert', namespace: 'yargs-assert' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'yargs-assert' }, () => ({
      contents: [
        'const failed = (message, operator) => Object.assign(new Error(message), { code: "ERR_ASSERTION", operator });',
        'export function notStrictEqual(actual, expected, message) {',
        "  if (Object.is(actual, expected)) throw failed(message ?? 'Expected values to be strictly unequal', 'notStrictEqual');",
        '}',
        'export function strictEqual(actual, expected, message) {',
        "  if (!Object.is(actual, expected)) throw failed(message ?? 'Expected values to be strictly equal', 'strictEqual');",
        '}',
      ].join('\n'),
      loader: 'js',
    }));
  },
};

/**
 * yargs' platform shim reads process.stdout.columns as it loads, and Node
 * makes process.stdout on that first use: for a pipe (a deploy agent, a CI
 * log) a socket handle, and the net module with it, in every run, for a
 * width only --help uses. The stand-in asks on first use instead (a getter,
 * same answer). A yargs whose shim no longer reads it this way stops the
 * build rather than pass unchanged.
 */
const yargsLazyColumns = {
  name: 'yargs-lazy-columns',
  setup(b) {
    b.onLoad({ filter: /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/ }, (args) => {
      const eager = "stdColumns: typeof process.stdout.columns !== 'undefined' ? process.stdout.columns : null";
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes(eager)) return { errors: [{ text: `${args.path}: yargs no longer reads the terminal width as scripts/bundle.mjs expects` }] };
      return {
        contents: source.replace(eager, "get stdColumns() { return typeof process.stdout.columns !== 'undefined' ? process.stdout.columns : null; }"),
        loader: 'js',
      };
    });
  },
};

/** The file beside the bundle that holds the emulator (packages/emulator), for `ssm-materialize emulator`. */
export const EMULATOR_FILE = 'ssm-materialize-emulator.cjs';

/**
 * The emulator is no part of the product's bundle: src/commands/emulator.ts
 * imports the workspace package, and here that import becomes a `require`
 * of the emulator's own file beside the bundle.
 */
const emulatorBesideBundle = (file) => ({
  name: 'emulator-beside-bundle',
  setup(b) {
    b.onResolve({ filter: /^@ssm-materialize\/emulator(\/|$)/ }, (args) => {
      if (args.kind !== 'dynamic-import' || args.path !== '@ssm-materialize/emulator/command') {
        return { errors: [{ text: `${args.importer}: the product may reach the emulator only through import('@ssm-materialize/emulator/command')` }] };
      }
      return { path: `./${file}`, external: true };
    });
  },
});

/**
 * Bundles src/bin.ts (or `entry`: bench/sea-snapshot.mjs bundles its own) into `outfile`; returns every source file whose code is
 * in it (the licence notices and SBOMs are made from this list: scripts/licenses.mjs)
 * and esbuild's metafile. `sdk`: 'part' leaves the AWS SDK to SDK_FILE (dist/, the executables);
 * 'inline' puts it inside (the release's single-file bundle, which runs alone).
 */
export async function bundleCli(outfile, { emulatorFile = EMULATOR_FILE, entry = join(root, 'src', 'bin.ts'), sdk = 'part' } = {}) {
  const inputs = [];
  const result = await build({
    ...BUNDLE_OPTIONS,
    entryPoints: [entry],
    outfile,
    plugins: [sdk === 'inline' ? sdkPrebundle(inputs) : sdkAsPart, deferStringWidth, yargsAssertStandIns, yargsLazyColumns, emulatorBesideBundle(emulatorFile)],
    metafile: true,
    // yargs (ESM) locates itself through import.meta.url; CommonJS has no
    // import.meta. Inside the standalone executable there is no script file:
    // the executable itself stands in for it.
    define: { 'import.meta.url': '__smImportMetaUrl' },
    banner: {
      js: "const __smImportMetaUrl = require('node:url').pathToFileURL(typeof __filename === 'string' && __filename ? __filename : process.execPath).href;",
    },
  });
  return { inputs: [...new Set([...inputs, ...bundledInputs(result.metafile)])].sort(), metafile: result.metafile };
}

/**
 * The emulator's own file (loaded only by `ssm-materialize emulator`); returns
 * the source files whose code is in it, for the licence notices.
 */
export async function bundleEmulator(outfile) {
  return { inputs: bundledInputs((await bundleEmulatorCommand(outfile)).metafile) };
}

/** The library's files in dist/ (package.json `exports` names them): one CommonJS bundle, its ES module face, and the types of each. */
export const LIBRARY_FILES = { cjs: 'library.cjs', esm: 'library.mjs', cjsTypes: 'library.d.cts', esmTypes: 'library.d.mts' };

/**
 * The library (src/library.ts) into `dir`: `import { materialize, plan } from
 * 'ssm-materialize'` and `require('ssm-materialize')`. One CommonJS bundle
 * holds the code; the ES module only re-exports it, so that both faces share
 * one copy of the code and of ToolError (`instanceof` holds whichever way
 * the caller loaded it). The AWS SDK is the CLI's own file beside it
 * (SDK_FILE), loaded when the library first calls AWS. The types are
 * src/library-types.d.ts (written to match the code: src/library.ts checks it),
 * once per face. Returns the source files whose code is in the bundle.
 */
export async function bundleLibrary(dir) {
  const inputs = [];
  const cjs = join(dir, LIBRARY_FILES.cjs);
  const result = await build({
    ...BUNDLE_OPTIONS,
    entryPoints: [join(root, 'src', 'library.ts')],
    outfile: cjs,
    plugins: [sdkAsPart, emulatorBesideBundle(EMULATOR_FILE)],
    metafile: true,
  });
  // The names the bundle exports, read from the bundle itself: loading it defines functions and runs nothing.
  const names = Object.keys(createRequire(import.meta.url)(cjs)).sort();
  writeFileSync(
    join(dir, LIBRARY_FILES.esm),
    `// The ES module face of ${LIBRARY_FILES.cjs}: one copy of the code for import and require.\nimport library from './${LIBRARY_FILES.cjs}';\nexport const { ${names.join(', ')} } = library;\n`,
  );
  const types = readFileSync(join(root, 'src', 'library-types.d.ts'), 'utf8');
  writeFileSync(join(dir, LIBRARY_FILES.cjsTypes), types);
  writeFileSync(join(dir, LIBRARY_FILES.esmTypes), types);
  return { inputs: [...new Set([...inputs, ...bundledInputs(result.metafile)])].sort(), metafile: result.metafile };
}

/**
 * The npm package's dist/ in `dir` (emptied first): the bundle, the bin that
 * runs it (src/startup/launch.ts), the AWS SDK's and the emulator's own files, the library,
 * THIRD_PARTY_LICENSES for the packages bundled into any of them, and the
 * shell completions and man page (scripts/cli-docs.mjs). Returns those
 * packages (scripts/licenses.mjs).
 */
export async function buildDist(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const { inputs } = await bundleCli(join(dir, 'ssm-materialize.bundle.cjs'));
  const sdk = await bundleSdk(join(dir, SDK_FILE));
  const emulator = await bundleEmulator(join(dir, EMULATOR_FILE));
  const library = await bundleLibrary(dir);
  const packages = bundledPackages([...new Set([...inputs, ...sdk.inputs, ...emulator.inputs, ...library.inputs])].sort());
  writeFileSync(join(dir, 'THIRD_PARTY_LICENSES'), thirdPartyNotices(packages));
  await writeCliReference(dir);
  const bin = join(dir, 'ssm-materialize.cjs');
  await build({ ...BUNDLE_OPTIONS, entryPoints: [join(root, 'src', 'startup', 'launch.ts')], outfile: bin, banner: { js: '#!/usr/bin/env node' } });
  chmodSync(bin, 0o755);
  return packages;
}
