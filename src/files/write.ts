/**
 * The atomic, permission-restricted writer. `writeAll` is one transaction
 * over every output of a run:
 *
 *   stage   for each changed output, a temp file in the target's directory,
 *           created O_EXCL|O_NOFOLLOW with the final mode, owner/group set,
 *           content written and fsynced, then its `verify` run against it;
 *   commit  only when every output has staged: rename each over its target
 *           and fsync the directory; if a rename fails, put back the outputs
 *           already replaced;
 *   signals while it runs, SIGINT/SIGTERM/SIGHUP remove every temp file
 *           before the process exits, so outputs stay old-and-complete;
 *   leases  while it runs, its temp files are renewed, so that a run in
 *           another pid namespace sharing the directory never takes them
 *           for abandoned (staging.ts, removeStaleTempFiles).
 *
 * The file-level steps are in staging.ts, private to this module.
 *
 * Why not write-file-atomic: it cannot stage several files before renaming
 * any of them; its temp name (`<target>.<digits>`) is predictable and opened
 * with 'w', without O_EXCL/O_NOFOLLOW; it fsyncs the file but never the
 * directory; and it follows a symlink at the destination. Each is a promise
 * this tool exists to keep.
 */
import { constants, promises as fs, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { OutputError } from '../errors.js';
import {
  commit,
  discard,
  dropBackup,
  contentBytes,
  hintForErrno,
  keepOld,
  LEASE_RENEWAL_MS,
  removeStaleTempFiles,
  renewLeases,
  restore,
  stage,
  tempFilesInFlight,
  type KeptTarget,
  type StagedFile,
  type WriteRequest,
} from './staging.js';

export type { WriteRequest } from './staging.js';

export type ChangeReason = 'new' | 'content' | 'mode' | 'owner';

export interface Inspection {
  changed: boolean;
  reasons: ChangeReason[];
  /** Current content, when the file exists and is readable (for plan diffs). */
  current: string | undefined;
}

/** Does the target differ from what we would write? */
export async function inspectTarget(req: WriteRequest): Promise<Inspection> {
  let handle: fs.FileHandle;
  try {
    // O_NOFOLLOW: a symlink at the target is never read through; it is
    // reported as changed and replaced by a regular file on commit.
    handle = await fs.open(req.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP') return { changed: true, reasons: ['new'], current: undefined };
    // Every error names the fix.
    throw new OutputError(req.path, `cannot read the existing file (${code})`, {
      hint: hintForErrno(err, dirname(req.path)) ?? `check ${req.path} and its directory`,
      cause: err,
    });
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new OutputError(req.path, 'exists and is not a regular file', { hint: 'remove it or choose another output path' });
    const bytes = await handle.readFile();
    const current = bytes.toString('utf8');
    const reasons: ChangeReason[] = [];
    if (!bytes.equals(contentBytes(req))) reasons.push('content');
    if ((st.mode & 0o7777) !== req.mode) reasons.push('mode');
    if ((req.uid !== undefined && st.uid !== req.uid) || (req.gid !== undefined && st.gid !== req.gid)) reasons.push('owner');
    return { changed: reasons.length > 0, reasons, current };
  } finally {
    await handle.close();
  }
}

/** One output for `writeAll`: what to write, and the check its new content must pass before any output is replaced. */
export interface OutputWrite {
  request: WriteRequest;
  /**
   * Runs against the staged temp file once every output has staged;
   * `staged[i]` is where output i's next content is (its temp file, or the
   * output itself when unchanged), so a check can look at several outputs
   * together (a key against its certificate). Throwing aborts the whole
   * transaction.
   */
  verify?: (tempPath: string, staged: readonly string[]) => Promise<void>;
}

export interface WriteOutcome {
  request: WriteRequest;
  changed: boolean;
  reasons: ChangeReason[];
}

/**
 * A step between staging and commit: it sees what will change, may record
 * state (the pending on_change markers), and returns how to undo that if the
 * commit then fails. Throwing aborts the transaction.
 */
export type BeforeCommit = (outcomes: readonly WriteOutcome[]) => Promise<() => Promise<void>>;

/**
 * Write every output or none: stage each changed one (and verify it), then
 * commit them all. Any failure before the commits discards every temp file;
 * a failed commit restores the outputs already replaced, newest first.
 */
export async function writeAll(writes: readonly OutputWrite[], beforeCommit?: BeforeCommit): Promise<WriteOutcome[]> {
  const releaseSignals = cleanUpOnSignals();
  const renewal = setInterval(() => void renewLeases(), LEASE_RENEWAL_MS).unref();
  try {
    const { outcomes, staged } = await stageAll(writes);
    let undo = async (): Promise<void> => undefined;
    try {
      if (beforeCommit) undo = await beforeCommit(outcomes);
    } catch (err) {
      await Promise.all(staged.map(discard));
      throw err;
    }
    try {
      await commitAll(staged);
    } catch (err) {
      await undo();
      throw err;
    }
    return outcomes;
  } finally {
    clearInterval(renewal);
    releaseSignals();
  }
}

async function stageAll(writes: readonly OutputWrite[]): Promise<{ outcomes: WriteOutcome[]; staged: StagedFile[] }> {
  const outcomes: WriteOutcome[] = [];
  const staged: StagedFile[] = [];
  const nextContent: string[] = [];
  try {
    for (const { request } of writes) {
      await removeStaleTempFiles(request.path);
      const inspection = await inspectTarget(request);
      outcomes.push({ request, changed: inspection.changed, reasons: inspection.reasons });
      if (!inspection.changed) {
        nextContent.push(request.path);
        continue;
      }
      const file = await stage(request);
      staged.push(file);
      nextContent.push(file.tempPath);
    }
    for (const [i, { verify }] of writes.entries()) {
      const file = staged.find((s) => s.tempPath === nextContent[i]);
      if (verify && file) await verify(file.tempPath, nextContent);
    }
  } catch (err) {
    await Promise.all(staged.map(discard));
    throw err;
  }
  return { outcomes, staged };
}

/**
 * A rename can still fail (EIO, a read-only remount, something put at the
 * path meanwhile). Then put back the outputs already replaced, newest first,
 * and leave no temp file behind: a failed run leaves every output as it was.
 */
async function commitAll(staged: StagedFile[]): Promise<void> {
  const replaced: KeptTarget[] = [];
  for (const [i, file] of staged.entries()) {
    const kept = await keepOld(file.request.path);
    try {
      await commit(file);
      replaced.push(kept);
    } catch (err) {
      if (file.renamed) replaced.push(kept);
      else await dropBackup(kept);
      await Promise.all(staged.slice(i + 1).map(discard));
      for (const k of replaced.reverse()) await restore(k);
      throw err;
    }
  }
  await Promise.all(replaced.map(dropBackup));
}

const EXIT_SIGNALS = [
  ['SIGINT', 2],
  ['SIGTERM', 15],
  ['SIGHUP', 1],
] as const;

/**
 * While a transaction runs, a signal removes our temp files (synchronously,
 * on this thread, so no staging step can slip in between) and exits 128+n:
 * outputs are only ever replaced by rename, so they stay old-and-complete.
 * Outside a transaction there is nothing of ours on disk, and a signal ends
 * the process as usual (or reaches `exec`'s child, which forwards it).
 * Returns the function that removes the handlers again.
 */
function cleanUpOnSignals(): () => void {
  const handlers = EXIT_SIGNALS.map(([signal, number]) => {
    const handler = (): void => {
      for (const path of tempFilesInFlight) {
        try {
          unlinkSync(path);
        } catch {
          /* already gone */
        }
      }
      process.stderr.write(`ssm-materialize: interrupted by ${signal}; no output was changed by the unfinished step\n`);
      process.exit(128 + number);
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}
