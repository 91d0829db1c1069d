// Types of scripts/bundle.mjs, for the tests that build with it.
import type { BuildOptions, BuildResult } from 'esbuild';

export declare const BUNDLE_OPTIONS: BuildOptions;
export declare const EMULATOR_FILE: string;
export declare function bundleCli(outfile: string, options?: { emulatorFile?: string }): Promise<BuildResult<{ metafile: true }>>;
