/**
 * The two SSM command documents the fleet runs on its hosts: `write` (on a
 * change, through the runbook) and `check` (on a schedule, through the State
 * Manager association). Both are `aws:runShellScript` steps that call the
 * installed `ssm-materialize`; the values are read on the host with the
 * instance role, never carried by the document (documents cannot hold
 * SecureString values).
 *
 * Run Command pastes each `{{ Parameter }}` into the script text before the
 * shell sees it, so every parameter is a gate: its `allowedPattern` (checked
 * by Systems Manager when the command is sent) admits only characters that
 * cannot end a single-quoted string or start a substitution, and the script
 * places each one inside single quotes as a second wall. A value the pattern
 * refuses never reaches a host.
 */

/** One document parameter: the pattern is the gate, the default must pass it. */
export interface DocumentParameter {
  type: 'String';
  description: string;
  default: string;
  allowedPattern: string;
}

export interface CommandDocument {
  schemaVersion: '2.2';
  description: string;
  parameters: Record<string, DocumentParameter>;
  mainSteps: Array<{
    action: 'aws:runShellScript';
    name: string;
    precondition: { StringEquals: ['platformType', 'Linux'] };
    inputs: { timeoutSeconds: string; runCommand: string[] };
  }>;
}

/**
 * Absolute paths of plain characters: no quote, space, `$`, backtick, `;`,
 * braces (`{{ssm:...}}` would make Systems Manager resolve a parameter into
 * the command) or line break. A leading `/` also keeps it from being read as
 * an option.
 */
const ABSOLUTE_PATH = '^/[A-Za-z0-9_./-]{0,1023}$';
const OPTIONAL_ABSOLUTE_PATH = '^(/[A-Za-z0-9_./-]{0,1023})?$';
/** Seconds, as `--jitter` takes them. */
const WHOLE_SECONDS = '^[0-9]{1,5}$';
/** An age as `--keep-last-good` takes it (`90s`, `30m`, `24h`, `7d`), or empty for "off". */
const OPTIONAL_AGE = '^([0-9]{1,6}[smhd]?)?$';
/**
 * When the change was requested, as EventBridge stamps an event's `time`
 * (ISO 8601, UTC), or empty for "unknown". Digits and the fixed separators
 * only: the host turns it into seconds by arithmetic.
 */
export const OPTIONAL_REQUEST_TIME = '^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?Z)?$';
/**
 * How much later than the request a successful write must have begun to
 * serve it: the host's clock and EventBridge's may disagree by this much,
 * and when in doubt the host writes.
 */
export const CLOCK_SKEW_SECONDS = 5;

export const DEFAULT_STATE_DIRECTORY = '/var/lib/ssm-materialize/fleet';

export interface DocumentDefaults {
  /** The manifest's path on the hosts. */
  manifestPath: string;
  jitterSeconds: number;
  /** `write --lock FILE`: record the versions written, for a later rollback. Empty: off. */
  lockFile: string;
  /** `write --keep-last-good AGE`. Empty: off. */
  keepLastGood: string;
  stateDirectory: string;
}

/** Parameters both documents share. */
function commonParameters(d: DocumentDefaults): Record<string, DocumentParameter> {
  return {
    ManifestPath: { type: 'String', description: 'The manifest on the host (absolute path)', default: d.manifestPath, allowedPattern: ABSOLUTE_PATH },
    Locked: {
      type: 'String',
      description: 'Rollback: read exactly the parameter versions recorded in this lock file (written by write --lock); empty reads the latest',
      default: '',
      allowedPattern: OPTIONAL_ABSOLUTE_PATH,
    },
  };
}

export function writeDocument(d: DocumentDefaults): CommandDocument {
  return {
    schemaVersion: '2.2',
    description:
      "ssm-materialize write on this host: fetch the manifest's parameters with the instance role and rewrite the files that changed. Requests that arrive while a write runs are served by one more write at most.",
    parameters: {
      ...commonParameters(d),
      Jitter: {
        type: 'String',
        description: 'Wait a random 0..N seconds before the first call',
        default: String(d.jitterSeconds),
        allowedPattern: WHOLE_SECONDS,
      },
      LockFile: {
        type: 'String',
        description: 'After writing, record the versions used in this file (write --lock); empty: off',
        default: d.lockFile,
        allowedPattern: OPTIONAL_ABSOLUTE_PATH,
      },
      KeepLastGood: {
        type: 'String',
        description: 'When the store is unavailable, keep outputs fetched within this age (write --keep-last-good), e.g. 24h; empty: off',
        default: d.keepLastGood,
        allowedPattern: OPTIONAL_AGE,
      },
      RequestTime: {
        type: 'String',
        description: `When the change happened (the event's time, ISO 8601 UTC): a host whose last successful write began more than ${CLOCK_SKEW_SECONDS}s after it skips the request; empty: always write`,
        default: '',
        allowedPattern: OPTIONAL_REQUEST_TIME,
      },
      StateDirectory: {
        type: 'String',
        description: 'Where the host keeps the request counters, the start of its last successful write and the lock that coalesce bursts (root only)',
        default: d.stateDirectory,
        allowedPattern: ABSOLUTE_PATH,
      },
    },
    mainSteps: [step('write', WRITE_SCRIPT)],
  };
}

export function checkDocument(d: DocumentDefaults): CommandDocument {
  return {
    schemaVersion: '2.2',
    description:
      'ssm-materialize check on this host: exit 0 when every output is up to date, 1 on drift (a changed value, a pending on_change hook, a stale last-good file), 3/4/5 when the store cannot answer. The association reports it as compliance.',
    parameters: commonParameters(d),
    mainSteps: [step('check', CHECK_SCRIPT)],
  };
}

function step(name: string, script: string): CommandDocument['mainSteps'][number] {
  return {
    action: 'aws:runShellScript',
    name,
    precondition: { StringEquals: ['platformType', 'Linux'] },
    inputs: { timeoutSeconds: '900', runCommand: script.split('\n') },
  };
}

/** What both scripts start with: the parameters in single quotes, the binary found, a private umask. */
const PRELUDE = `set -u
PATH="$PATH:/usr/local/bin:/usr/bin:/bin"
umask 077
manifest='{{ ManifestPath }}'
locked='{{ Locked }}'
if ! command -v ssm-materialize >/dev/null 2>&1; then
  echo "ssm-materialize fleet: ssm-materialize is not installed on this host (searched $PATH)" >&2
  exit 127
fi`;

/**
 * Coalescing on the host: each request takes a ticket at once, then waits
 * for the run lock. A write serves every ticket taken before it began (it
 * reads the store after they arrived), so a request whose ticket is already
 * served exits without a call. However many requests pile up during one
 * write, one more write serves them all. Counter files are root's own, yet
 * read as data: anything but digits counts as 0.
 *
 * Rollback: with LockFile set, a write that moved any version keeps the
 * lock it replaced as `LockFile.previous`; `Locked` pointing there makes
 * every host write exactly those versions again. While `Locked` is set the
 * previous lock is left alone, so a rollback cannot overwrite its own source.
 */
const WRITE_SCRIPT = `${PRELUDE}
jitter='{{ Jitter }}'
lock_file='{{ LockFile }}'
keep_last_good='{{ KeepLastGood }}'
request_time='{{ RequestTime }}'
state='{{ StateDirectory }}'
if ! command -v flock >/dev/null 2>&1; then
  echo "ssm-materialize fleet: flock (util-linux) is not installed on this host" >&2
  exit 6
fi
if ! mkdir -p "$state"; then
  echo "ssm-materialize fleet: cannot create the state directory $state" >&2
  exit 6
fi
counter() { n=$(cat "$1" 2>/dev/null) || n=0; case $n in ''|*[!0-9]*) n=0 ;; esac; echo "$n"; }
epoch_of() (
  IFS='-T:.Z'
  set -f
  set -- $1
  y=$((1$1 - 10000)) m=$((1$2 - 100)) d=$((1$3 - 100))
  if [ "$m" -le 2 ]; then y=$((y - 1)) m=$((m + 9)); else m=$((m - 3)); fi
  era=$((y / 400))
  yoe=$((y - era * 400))
  doe=$((yoe * 365 + yoe / 4 - yoe / 100 + (153 * m + 2) / 5 + d - 1))
  echo $(((era * 146097 + doe - 719468) * 86400 + (1$4 - 100) * 3600 + (1$5 - 100) * 60 + 1$6 - 100))
)
case $request_time in
  [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z) requested_at=$(epoch_of "$request_time") ;;
  *) requested_at='' ;;
esac
ticket=$( (
  flock 9 || exit 1
  n=$(counter "$state/requested")
  n=$((n + 1))
  echo "$n" > "$state/requested.new" && mv -f "$state/requested.new" "$state/requested" && echo "$n"
) 9>>"$state/tickets.lock" ) || ticket=''
if [ -z "$ticket" ]; then
  echo "ssm-materialize fleet: cannot record the request in $state" >&2
  exit 6
fi
exec 8>>"$state/run.lock"
if ! flock 8; then
  echo "ssm-materialize fleet: cannot take the lock $state/run.lock" >&2
  exit 6
fi
served=$(counter "$state/served")
if [ "$served" -ge "$ticket" ]; then
  echo "ssm-materialize fleet: request $ticket was served by a write that began after it arrived; nothing to do"
  exit 0
fi
last_began=$(counter "$state/last-write-began")
if [ -n "$requested_at" ] && [ "$last_began" -gt 0 ] && [ "$last_began" -ge $((requested_at + ${CLOCK_SKEW_SECONDS})) ]; then
  echo "ssm-materialize fleet: request $ticket (a change at $request_time) was served by the last successful write, which began after it; nothing to do"
  exit 0
fi
serving=$(counter "$state/requested")
set -- write -m "$manifest" --jitter "$jitter"
if [ -n "$lock_file" ]; then set -- "$@" --lock "$lock_file"; fi
if [ -n "$keep_last_good" ]; then set -- "$@" --keep-last-good "$keep_last_good"; fi
if [ -n "$locked" ]; then set -- "$@" --locked "$locked"; fi
rm -f "$state/lock.before"
if [ -n "$lock_file" ] && [ -z "$locked" ] && [ -f "$lock_file" ]; then cp -p "$lock_file" "$state/lock.before" || exit 6; fi
echo "ssm-materialize fleet: request $ticket: writing (serves requests up to $serving)"
began=$(epoch_of "$(date -u +%Y-%m-%dT%H:%M:%SZ)")
ssm-materialize "$@"
rc=$?
if [ "$rc" -eq 0 ]; then
  echo "$serving" > "$state/served.new" && mv -f "$state/served.new" "$state/served"
  echo "$began" > "$state/last-write-began.new" && mv -f "$state/last-write-began.new" "$state/last-write-began"
  if [ -f "$state/lock.before" ] && ! cmp -s "$state/lock.before" "$lock_file"; then
    mv -f "$state/lock.before" "$lock_file.previous" && echo "ssm-materialize fleet: the versions this write replaced are in $lock_file.previous (roll back: LockedVersions=$lock_file.previous)"
  fi
fi
exit "$rc"`;

const CHECK_SCRIPT = `${PRELUDE}
set -- check -m "$manifest"
if [ -n "$locked" ]; then set -- "$@" --locked "$locked"; fi
ssm-materialize "$@"
rc=$?
if [ "$rc" -eq 1 ]; then
  echo "ssm-materialize fleet: drift: an output differs from the store, its on_change hook is pending, or a last-good file is stale; run the write document on this host" >&2
fi
exit "$rc"`;
