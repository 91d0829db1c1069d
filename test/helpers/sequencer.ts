/**
 * Longest files first. Two workers finish together only if the files that
 * take longest start first: one of them starting last keeps the run going
 * alone for its whole length. Vitest orders by the durations it cached from
 * earlier runs, but a fresh checkout (CI) has none and falls back to file
 * size, which says little about a file that spawns shells, builds or qemu.
 * The files below, longest first, go ahead of the rest; everything else keeps
 * vitest's own order.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const ROOT = join(import.meta.dirname, '..', '..');

/** In the order of their time in a full run. A listed file that no longer exists stops the run, so a rename cannot leave the list behind unnoticed. */
export const LONGEST_FIRST = [
  'test/release/release.test.ts',
  'test/fleet/burst.test.ts',
  'test/formats/template-context.test.ts',
  'test/fleet/stack.test.ts',
  'test/trust/shells.test.ts',
  'test/reliability/crash-kill.test.ts',
  'test/reliability/crash.test.ts',
  'test/reliability/hostile.test.ts',
  'test/fleet/host.test.ts',
  'test/integrations/aws-conventions.test.ts',
  'packages/emulator/test/aws-cli.test.ts',
  'packages/emulator/test/conformance/conformance.test.ts',
  'test/reliability/concurrency.test.ts',
  'test/e2e/put-tty.test.ts',
  'test/integrations/proxy.test.ts',
  'test/e2e/exec-refresh.test.ts',
  'test/reliability/fleet.test.ts',
  'test/reliability/leaks.test.ts',
  'test/integrations/codedeploy.test.ts',
  'test/reliability/faults.test.ts',
  'test/library/consumer.test.ts',
  'test/commands/cli-reference.test.ts',
];

for (const file of LONGEST_FIRST) {
  if (!existsSync(join(ROOT, file))) throw new Error(`test/helpers/sequencer.ts lists ${file}, which does not exist: update LONGEST_FIRST`);
}

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification): number => {
      const at = LONGEST_FIRST.indexOf(relative(ROOT, spec.moduleId));
      return at < 0 ? LONGEST_FIRST.length : at;
    };
    // Array.prototype.sort is stable: the unlisted files keep vitest's order.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}
