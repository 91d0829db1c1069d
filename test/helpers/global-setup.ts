/**
 * One scratch directory per test run, removed when the run ends. Test files
 * that share a worker (vitest.config.ts) keep things there that outlive one
 * file, such as the reliability tests' snapshot of the built CLI; workers are
 * stopped without running exit handlers, so they cannot clean up themselves.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    runScratchDir: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'ssm-mat-run-'));
  project.provide('runScratchDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
