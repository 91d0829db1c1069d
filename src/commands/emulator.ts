/**
 * `ssm-materialize emulator`: the emulator package's own command, loaded
 * from its own file only when this command runs, so that the product's
 * bundle holds no emulator code. Where that file is:
 * - run from source (the tests): the workspace package @ssm-materialize/emulator;
 * - the npm package: dist/ssm-materialize-emulator.cjs beside the bundle
 *   (scripts/bundle.mjs points this import there);
 * - the standalone executable: the same file, embedded as the SEA asset
 *   named EMULATOR_PART (src/startup/parts.ts, scripts/release.mjs).
 */
import { setFlagsFromString } from 'node:v8';
import type * as EmulatorModule from '@ssm-materialize/emulator/command';
import { ExitCode, ToolError, UsageError } from '../errors.js';
import { OPTIMIZING_COMPILER_FLAGS } from '../startup/heap-flags.js';
import { EMULATOR_PART, fromSeaAsset } from '../startup/parts.js';

export interface EmulatorArgs {
  port: number;
  seed: string | undefined;
  tps: number | undefined;
  latency: number | undefined;
  errorRate: number | undefined;
  dropRate: number | undefined;
  anySignature: boolean;
  verbose: boolean | undefined;
}

export async function emulatorCommand(args: EmulatorArgs, io: EmulatorModule.CommandIo): Promise<number> {
  // A server, unlike the tool's own commands (src/startup/heap-flags.ts).
  for (const flag of OPTIMIZING_COMPILER_FLAGS) setFlagsFromString(flag);
  const emulator = await loadEmulator();
  try {
    return await emulator.emulatorCommand({ ...args, program: 'ssm-materialize emulator' }, io);
  } catch (err) {
    // The emulator's own errors (a bad seed file, a port in use) are the caller's input: usage errors here.
    if (err instanceof emulator.EmulatorError) throw new ToolError(err.code, ExitCode.usage, err.message, { hint: err.hint, cause: err, details: err.details });
    throw err;
  }
}

async function loadEmulator(): Promise<typeof EmulatorModule> {
  let embedded: unknown;
  try {
    embedded = fromSeaAsset(EMULATOR_PART);
  } catch (err) {
    throw new UsageError('this executable was built without the emulator', { hint: 'use the npm package or a release built by `npm run release`', cause: err });
  }
  if (embedded) return embedded as typeof EmulatorModule;
  try {
    return await import('@ssm-materialize/emulator/command');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
    throw new UsageError(`the emulator's file is missing: ${(err as Error).message.split('\n')[0]}`, {
      hint: 'the emulator ships as a file of its own: dist/ssm-materialize-emulator.cjs in the npm package, ssm-materialize-emulator-VERSION.cjs beside a release bundle',
      cause: err,
    });
  }
}
