/**
 * Variable names that give whoever sets them power over a program, kept in
 * one place with the reason for each group.
 *
 * Two lists, for two threats:
 *
 * - `SHELL_SPECIAL`: names a POSIX shell (bash, dash, zsh, ksh) treats
 *   specially while it sources a file. The `shell` format refuses them for
 *   every key, the manifest author's included: they do not read back, or they
 *   change the shell that sources the file (and every later shell).
 * - `LOADER_KEYS` (plus every shell-special name): names that change how a
 *   program is found, loaded or run. A key from `paths:` is named by whoever
 *   can write a parameter under that path, who is trusted with a value, not
 *   with the program: such a key is refused in every format and in `exec`
 *   unless the manifest allows it on that path entry (`allow_keys:`). Keys
 *   under `values:` are the manifest author's own choice and stay allowed.
 *
 * Keys from `paths:` are always upper case (see keyForPathParameter), so the
 * lists are written in upper case, except zsh's lower-case specials, which
 * only the shell format's own (case-preserving) keys can reach.
 *
 * Not exhaustive: a program may read any variable. These are the well-known
 * ones that run code, load code, or redirect what a program trusts.
 */

/** Exact names, by group. A group's comment says why each name is in it. */
const SHELL_SPECIAL_GROUPS: Record<string, readonly string[]> = {
  // Run code: ENV (sh, dash, ksh, bash in POSIX mode) and BASH_ENV (below, by
  // prefix) name a file later shells source; PS0/PROMPT_COMMAND run before or
  // after every interactive command, and PS1-PS4 (PS4 under `set -x`) undergo
  // command substitution; zsh's PROMPT* / RPROMPT* / RPS* / SPROMPT do with
  // PROMPT_SUBST; zsh runs $NULLCMD / $READNULLCMD for a bare redirection and
  // `stty $STTY` before every external command; ksh and bash expand
  // MAILPATH messages; FPATH autoloads functions (ksh, zsh); ZDOTDIR picks
  // zsh's startup files.
  'runs code': [
    'ENV', 'PROMPT_COMMAND', 'PROMPT', 'PROMPT2', 'PROMPT3', 'PROMPT4', 'RPROMPT', 'RPROMPT2', 'RPS1', 'RPS2', 'SPROMPT',
    'NULLCMD', 'READNULLCMD', 'STTY', 'MAIL', 'MAILPATH', 'MAILCHECK', 'FPATH', 'ZDOTDIR', 'MODULE_PATH',
  ],
  // Change what the rest of the sourcing script does: IFS re-splits words,
  // CDPATH/PWD/OLDPWD redirect `cd` and `pwd`, GLOBIGNORE (which also turns on
  // dotglob) and EXECIGNORE change globbing and command lookup, SHELLOPTS
  // (BASHOPTS by prefix) set options in this and every child bash, FUNCNEST
  // and TMOUT make later commands fail or the shell exit, POSIXLY_CORRECT
  // switches bash to POSIX mode, HISTFILE/HISTFILESIZE make an interactive
  // shell write or truncate another file, OPTIND/OPTERR reset getopts.
  'changes the sourcing shell': [
    'IFS', 'CDPATH', 'PWD', 'OLDPWD', 'GLOBIGNORE', 'EXECIGNORE', 'SHELLOPTS', 'FUNCNEST', 'TMOUT', 'POSIXLY_CORRECT',
    'HISTFILE', 'HISTFILESIZE', 'OPTIND', 'OPTERR',
  ],
  // Read-only or dynamic: assigning fails, is ignored or reads back something
  // else (`_` is reset after every command in bash, zsh and ksh). zsh's
  // USERNAME, UID, EUID, GID and EGID change the shell's user or group when
  // root assigns them.
  'does not read back': [
    '_', 'EUID', 'UID', 'GID', 'EGID', 'USERNAME', 'PPID', 'GROUPS', 'FUNCNAME', 'DIRSTACK', 'PIPESTATUS',
    'COMP_WORDBREAKS', 'RANDOM', 'SRANDOM', 'SECONDS', 'LINENO', 'HISTCMD', 'EPOCHSECONDS', 'EPOCHREALTIME',
    'ERRNO', 'ARGC', 'TTYIDLE',
  ],
  // zsh ties these lower-case arrays to PATH, CDPATH, FPATH, MAILPATH,
  // MANPATH and MODULE_PATH, or keeps its state in them.
  'zsh lower-case specials': [
    'path', 'cdpath', 'fpath', 'mailpath', 'manpath', 'module_path', 'psvar', 'argv', 'status', 'pipestatus',
  ],
};

/**
 * Prefixes reserved by the shells themselves: every BASH* (BASH_ENV runs a
 * file, BASHOPTS sets options, BASH_XTRACEFD redirects traces, the rest is
 * read-only), KSH_* and ZSH_* (version and state variables), and PS followed
 * by digits (PS0 to PS4, and any later one).
 */
const SHELL_SPECIAL_PATTERN = /^(?:BASH|KSH_|ZSH_|PS\d*$)/;

export const SHELL_SPECIAL: ReadonlySet<string> = new Set(Object.values(SHELL_SPECIAL_GROUPS).flat());

/** Whether `key` is special to bash, dash, zsh or ksh when a file is sourced. */
export function isShellSpecial(key: string): boolean {
  return SHELL_SPECIAL.has(key) || SHELL_SPECIAL_PATTERN.test(key);
}

const LOADER_GROUPS: Record<string, readonly string[]> = {
  // Where programs are found: every command a script or the app runs by name.
  'command lookup': ['PATH', 'SHELL', 'HOME', 'XDG_CONFIG_HOME'],
  // glibc's own list of variables it strips for setuid programs
  // (sysdeps/generic/unsecvars.h), beyond LD_* (by prefix): they load
  // modules, redirect resolution or temp files.
  'dynamic loader and libc': [
    'GCONV_PATH', 'GETCONF_DIR', 'GLIBC_TUNABLES', 'HOSTALIASES', 'LOCALDOMAIN', 'LOCPATH', 'MALLOC_TRACE', 'NIS_PATH',
    'NLSPATH', 'RESOLV_HOST_CONF', 'RES_OPTIONS', 'TMPDIR', 'TZDIR',
  ],
  // Options and module paths of language runtimes: each loads or runs code.
  // (PYTHON* and PERL* by prefix.)
  'runtimes': [
    'NODE_OPTIONS', 'NODE_PATH', 'NODE_REPL_EXTERNAL_MODULE', 'NODE_V8_COVERAGE', 'NODE_REDIRECT_WARNINGS', 'NODE_ICU_DATA',
    'RUBYOPT', 'RUBYLIB', 'RUBYPATH', 'RUBYSHELL', 'GEM_HOME', 'GEM_PATH', 'BUNDLE_GEMFILE',
    'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS', 'JAVA_HOME', 'CLASSPATH',
    'PHPRC', 'PHP_INI_SCAN_DIR', 'OPENSSL_CONF', 'OPENSSL_ENGINES', 'OPENSSL_MODULES',
  ],
  // Commands other programs run on the user's behalf.
  'helper commands': [
    'EDITOR', 'VISUAL', 'PAGER', 'MANPAGER', 'BROWSER', 'LESSOPEN', 'LESSCLOSE', 'SSH_ASKPASS', 'SUDO_ASKPASS',
    'GIT_SSH', 'GIT_SSH_COMMAND', 'GIT_ASKPASS', 'GIT_EDITOR', 'GIT_PAGER', 'GIT_EXEC_PATH', 'GIT_PROXY_COMMAND',
    'GIT_EXTERNAL_DIFF', 'GIT_CONFIG_GLOBAL', 'GIT_CONFIG_SYSTEM', 'GIT_CONFIG_COUNT', 'GIT_CONFIG_PARAMETERS', 'GIT_TEMPLATE_DIR',
  ],
  // What the app trusts and where its traffic goes: an attacker's CA or
  // proxy reads every request; the AWS SDK's config files can name a
  // credential_process command to run.
  'trust and traffic': [
    'NODE_EXTRA_CA_CERTS', 'NODE_TLS_REJECT_UNAUTHORIZED', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'REQUESTS_CA_BUNDLE',
    'CURL_CA_BUNDLE', 'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE',
    'AWS_CA_BUNDLE', 'AWS_ENDPOINT_URL',
  ],
};

/**
 * Prefixes: the dynamic linkers' LD_* and DYLD_*, every PYTHON* and PERL*
 * variable (PYTHONSTARTUP, PYTHONWARNINGS and PERL5OPT import or run code),
 * npm's NPM_CONFIG_* (npm reads its whole config, script-shell included, from
 * them) and AWS_ENDPOINT_URL_* (per-service endpoints).
 */
const LOADER_PATTERN = /^(?:LD_|DYLD_|PYTHON|PERL|NPM_CONFIG_|AWS_ENDPOINT_URL_)/;

export const LOADER_KEYS: ReadonlySet<string> = new Set(Object.values(LOADER_GROUPS).flat());

/**
 * Whether a key that came from `paths:` needs the manifest's explicit
 * `allow_keys:`: it changes how a program is found, loaded or run, or how a
 * shell behaves.
 */
export function isReservedForPaths(key: string): boolean {
  return LOADER_KEYS.has(key) || LOADER_PATTERN.test(key) || isShellSpecial(key);
}
