// Types of scripts/bundle.mjs, for the tests that build with it.
import type { BuildOptions, BuildResult } from 'esbuild';

export declare const BUNDLE_OPTIONS: BuildOptions;
export declare const EMULATOR_FILE: string;
export declare function bundleCli(outfile: string, options?: { emulatorFile?: string; entry?: string }): Promise<BuildResult<{ metafile: true }>>;
export declare const LIBRARY_FILES: { cjs: string; esm: string; cjsTypes: string; esmTypes: string };
export declare function bundleLibrary(dir: string): Promise<{ inputs: string[]; metafile: NonNullable<BuildResult['metafile']> }>;
