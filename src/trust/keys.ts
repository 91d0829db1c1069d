/**
 * The one gate for keys: whether a key may be written, judged by families of
 * names, never by a remembered list of programs. docs/untrusted-keys.md
 * describes the model; every format and `exec` reach it through
 * resolveOutputs (src/resolve.ts) and the `shell` and `yaml` formats.
 *
 * Three questions, three rules:
 *
 * - `untrustedKeyFamily`: a key an untrusted writer chose (a parameter name
 *   under `paths:`, a field name under `json: "*"`). Refused in every format
 *   and in `exec` when its name falls in a family that changes how a program
 *   is found, loaded or run, whom it trusts, where its traffic or credentials
 *   go, or how a shell behaves. The families are broad on purpose: a program
 *   may read any variable, and an owner's namespace (`NODE_*`, `AWS_*`,
 *   `GIT_*`) grows with every release, so the rule covers the namespace, not
 *   the names known today. The manifest widens it per entry (`allow_keys`).
 * - `shellSpecialFamily`: a key any sh-family shell users source files with
 *   (bash, dash, busybox ash, zsh, ksh93, mksh) treats specially. Refused by
 *   the `shell` format wherever the key comes from, the manifest author's
 *   `values:` included: mksh evaluates `$(...)` inside the value of its
 *   integer variables, so the author's choice of `COLUMNS` lets a parameter
 *   writer run code.
 * - `nestedSpecialFamily`: a segment of a nested key (json, yaml, php) that a
 *   reader gives a meaning beyond "a key": YAML's merge key, JavaScript's
 *   prototype members, type tags of polymorphic deserializers.
 *
 * Names are compared upper-cased: curl, wget and Python read `http_proxy`
 * as well as `HTTP_PROXY`, and keys from paths are upper case anyway.
 */

/** A named rule with the manuals it is derived from (cited in the comment above each). */
interface Family {
  name: string;
  test: (upper: string) => boolean;
}

const matches = (re: RegExp) => (upper: string) => re.test(upper);

/**
 * Families for keys an untrusted writer chose. Order only decides which
 * family a message names when several apply.
 */
const UNTRUSTED_FAMILIES: readonly Family[] = [
  // glibc ld.so(8) ("ENVIRONMENT": LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT, ...)
  // and sysdeps/generic/unsecvars.h, the variables glibc itself drops for
  // setuid programs because they load modules (GCONV_PATH), redirect name
  // resolution (HOSTALIASES, LOCALDOMAIN, RES_OPTIONS, RESOLV_*) or files
  // (NLSPATH, LOCPATH, TMPDIR, TZDIR, MALLOC_TRACE); macOS dyld(1) DYLD_*.
  {
    name: 'dynamic loader and libc (ld.so, glibc unsecvars, dyld)',
    test: matches(/^(?:LD_|DYLD_|GCONV_|GETCONF_|GLIBC_|HOSTALIASES$|LOCALDOMAIN$|LOCPATH$|MALLOC_|NIS_PATH$|NLSPATH$|RESOLV_|RES_OPTIONS$|TMPDIR$|TZDIR$)/),
  },
  // Interpreter and runtime namespaces, each owned by its runtime, whose
  // manuals list variables that load or run code: node(1) "Environment"
  // (NODE_OPTIONS, NODE_PATH, NODE_REPL_EXTERNAL_MODULE), npm-config
  // (npm_config_* incl. script-shell), Python "Command line and environment"
  // (PYTHONSTARTUP, PYTHONPATH, PYTHONWARNINGS) and pip's PIP_* (PIP_INDEX_URL),
  // java(1) and the JDK launcher (JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS,
  // _JAVA_OPTIONS, CLASSPATH), .NET runtime configuration (DOTNET_*,
  // DOTNET_STARTUP_HOOKS; CORECLR_PROFILER* / COR_PROFILER* load a profiler
  // DLL; COMPlus_* sets any runtime knob), ruby(1) (RUBYOPT, RUBYLIB,
  // RUBYSHELL) and RubyGems/Bundler (GEM_*, BUNDLE_*), perlrun (PERL5OPT,
  // PERL5LIB, PERL5DB), php(1) (PHPRC, PHP_INI_SCAN_DIR), `go help
  // environment` (GOFLAGS, GOPROXY, GOTOOLCHAIN, ... GO followed by letters or
  // digits) and cgo's CGO_*, Cargo's CARGO_* and RUSTC_WRAPPER, Lua's
  // LUA_INIT, OpenSSL's OPENSSL_CONF/OPENSSL_MODULES, GNU make's MAKEFLAGS,
  // MAKEFILES and MFLAGS (make's manual, "Variables/Recursion": a MAKEFLAGS
  // of `--eval=$(shell cmd)` runs cmd), systemd(1) "Environment"
  // (SYSTEMD_PAGER, SYSTEMD_EDITOR, SYSTEMD_LESS, ...).
  {
    name: 'interpreter and runtime options (node, npm, python, pip, java, .NET, ruby, perl, php, go, rust, lua, openssl, make, systemd)',
    test: matches(
      /^(?:NODE_|NPM_|YARN_|COREPACK_|PYTHON|PIP_|PIPENV_|POETRY_|UV_|CONDA|JAVA|JDK_|_JAVA_|JRE_|CLASSPATH$|DOTNET_|CORECLR_|COR_|COMPLUS_|MSBUILD|NUGET_|RUBY|GEM_|BUNDLE_|IRBRC$|PERL|PHP|GO[A-Z0-9]+$|CGO_|GCCGO$|CARGO_|RUST|LUA_|OPENSSL_|GNUMAKE|MAKE|MFLAGS$|SYSTEMD_|DBUS_|ERL_|ELIXIR_|MIX_|JULIA_|R_(?:PROFILE|ENVIRON|LIBS))/,
    ),
  },
  // Options a program or a start script splices into its own command line:
  // *_OPTS (JAVA_OPTS and every Gradle/Maven/Tomcat start script's
  // `<APP>_OPTS`, where java -XX:OnOutOfMemoryError=cmd runs a command),
  // *_OPTIONS (JAVA_TOOL_OPTIONS, NODE_OPTIONS), *FLAGS (MAKEFLAGS, GOFLAGS,
  // CFLAGS, LDFLAGS, RUSTFLAGS, ERL_FLAGS), *_ARGS and *OPT (PERL5OPT, RUBYOPT).
  {
    name: 'command-line options (*_OPTS, *_OPTIONS, *FLAGS, *_ARGS)',
    test: matches(/(?:^|[_0-9])(?:OPTS?|OPTIONS|ARGS|ARGV)$|FLAGS$|(?:^|_)(?:OPTS|OPTIONS|FLAGS|ARGS)_/),
  },
  // Where programs look for code, configuration and temporary files: PATH
  // and every *PATH (CLASSPATH, MANPATH, CDPATH, FPATH, MODULEPATH, LD_LIBRARY_PATH),
  // *LIB* as a word (PERL5LIB, RUBYLIB, LIBRARY_PATH, LIBPATH), *HOME (HOME,
  // JAVA_HOME, GNUPGHOME, CARGO_HOME), *DIR/*DIRS (XDG_CONFIG_DIRS, TMPDIR,
  // PHP_INI_SCAN_DIR, GIT_TEMPLATE_DIR), modules, plugins and extensions,
  // XDG base directories (XDG Base Directory Specification) and terminfo
  // (TERMINFO, TERMCAP: ncurses reads capability strings from them).
  {
    name: 'search paths for code, configuration and files (*PATH, *LIB*, *HOME, *DIR, XDG_*)',
    test: matches(/PATH$|(?:^|[_0-9])LIB|LIB$|HOME$|DIRS?$|(?:^|_)(?:MODULES?|PLUGINS?|EXTENSIONS?|INCLUDE)(?:$|_)|^XDG_|^TERM/),
  },
  // Files a program opens because a variable names them: configuration it
  // then obeys (OPENSSL_CONF, KRB5_CONFIG, AWS_CONFIG_FILE, GIT_CONFIG_GLOBAL,
  // PHPRC, INPUTRC, WGETRC, NETRC), credentials (PGPASSFILE,
  // AWS_SHARED_CREDENTIALS_FILE, GOOGLE_APPLICATION_CREDENTIALS), a profile
  // that picks them (AWS_PROFILE), or a file it writes (SSLKEYLOGFILE:
  // OpenSSL-based clients, curl, Python's ssl and NSS append every TLS session
  // key to it; HISTFILE).
  {
    name: 'files a program reads or writes (*FILE, *PROFILE, *_CONF, *_CONFIG, *RC, *_INI)',
    test: matches(/FILE$|FILES?_|(?:^|_)(?:CONF|CONFIG|CONFIGFILE|INI)(?:$|_)|(?<!S)RC$/),
  },
  // Where traffic goes: proxies (curl(1) "ENVIRONMENT": http_proxy,
  // HTTPS_PROXY, ALL_PROXY, NO_PROXY; git's GIT_PROXY_COMMAND; GOPROXY),
  // service endpoints (AWS_ENDPOINT_URL*, AWS_EC2_METADATA_SERVICE_ENDPOINT),
  // metadata services (GCE_METADATA_HOST, ECS_CONTAINER_METADATA_URI) and
  // package indexes (PIP_INDEX_URL, npm_config_registry, *_MIRROR), sockets
  // (SSH_AUTH_SOCK, DOCKER_HOST) and the authority that issues tokens
  // (AZURE_AUTHORITY_HOST).
  {
    name: 'proxies and endpoints (*PROXY*, *ENDPOINT*, *METADATA*, package registries and mirrors, sockets)',
    test: matches(/PROXY|ENDPOINT|METADATA|REGISTRY|INDEX_URL|EXTRA_INDEX|MIRROR|TRUSTED_HOST|AUTHORITY|(?:^|_)SOCK(?:ET)?(?:$|_)/),
  },
  // Whom a program trusts: OpenSSL's SSL_CERT_FILE / SSL_CERT_DIR,
  // SSLKEYLOGFILE, curl's CURL_CA_BUNDLE, Python requests' REQUESTS_CA_BUNDLE,
  // node's NODE_EXTRA_CA_CERTS and NODE_TLS_REJECT_UNAUTHORIZED, libpq's
  // PGSSLMODE / PGSSLROOTCERT, git's GIT_SSL_NO_VERIFY, Java trust stores,
  // PYTHONHTTPSVERIFY: anything naming SSL, TLS, a CA, a certificate, a key
  // or trust store, or turning verification off.
  {
    name: 'CA bundles and TLS settings (*SSL*, *TLS*, *_CA_*, *CERT*, *VERIFY*, *INSECURE*, trust and key stores)',
    test: matches(/SSL|(?:^|_)TLS|(?:^|_)CA(?:$|_)|CERT|KEYLOG|VERIFY|INSECURE|REJECT_UNAUTHORIZED|TRUST|KEYSTORE|PKCS|CIPHER|GNUTLS/),
  },
  // Credential sources: the AWS SDKs' whole AWS_* namespace (credential
  // chain, AWS_CONTAINER_CREDENTIALS_FULL_URI, AWS_ROLE_ARN,
  // AWS_WEB_IDENTITY_TOKEN_FILE, endpoints, regions; "AWS SDKs and Tools
  // Reference Guide, Environment variables"), Azure Identity's AZURE_*, the
  // Google Cloud SDK's CLOUDSDK_* and GCE_*, anything named *CREDENTIAL*,
  // git's GIT_* (git(1) "ENVIRONMENT VARIABLES": GIT_CONFIG_COUNT /
  // GIT_CONFIG_KEY_n set any configuration, core.sshCommand included; GIT_SSH,
  // GIT_ASKPASS run commands), ssh's SSH_* and *_SSH*, Kerberos KRB5*, GnuPG,
  // Docker's DOCKER_*, kubectl's KUBECONFIG, Vault's VAULT_*.
  {
    name: 'credential sources (AWS_*, AZURE_*, CLOUDSDK_*, *CREDENTIAL*, GIT_*, *SSH*, KRB5*, GNUPG*, DOCKER_*, KUBE*, VAULT_*)',
    test: matches(/^(?:AWS_|AZURE_|ARM_|CLOUDSDK_|GCE_|GCLOUD_|GOOGLE_CLOUD_|GIT_|KRB5|GNUPG|GPG_|DOCKER_|KUBE|VAULT_|ECS_)|CREDENTIAL|(?:^|_)SSH/),
  },
  // Variables naming a command another program runs: editors and pagers
  // (EDITOR, VISUAL, SUDO_EDITOR, GIT_EDITOR, PAGER, MANPAGER,
  // SYSTEMD_PAGER; less(1)'s LESSOPEN / LESSCLOSE and LESS itself, whose
  // `+!cmd` runs a command), password prompts (SSH_ASKPASS, SUDO_ASKPASS),
  // BROWSER, hooks and startup hooks (DOTNET_STARTUP_HOOKS), profilers,
  // wrappers and runners (RUSTC_WRAPPER, CARGO_TARGET_*_RUNNER), shells
  // (SHELL, RUBYSHELL, MAKESHELL, npm's script-shell), *_CMD and *_COMMAND
  // (GIT_SSH_COMMAND, PROMPT_COMMAND), preloads and startup files.
  {
    name: 'commands run on your behalf (editors, pagers, askpass, hooks, shells, *_CMD, *_COMMAND, wrappers, preloads)',
    test: matches(
      /EDITOR|VISUAL|PAGER|^LESS|ASKPASS|BROWSER|HOOK|PROFILER|WRAPPER|RUNNER|LAUNCHER|INTERPRETER|SHELL|(?:^|_)(?:CMD|COMMAND|EXEC|EXE|BIN|PROGRAM|HELPER|DIFF|PRELOAD|STARTUP|INIT)(?:$|_)|PRELOAD|STARTUP/,
    ),
  },
];

// The shells' special names, from their manuals and confirmed by asking each
// shell (test/trust/shells.test.ts sources every name each shell's
// binary knows with a hostile value and checks the gate refuses every name
// that runs code, reads back differently or prints the value): bash(1)
// "Shell Variables", dash(1) and busybox ash "Variables", zsh "Parameters
// Used By The Shell" and "Parameters Set By The Shell" (plus zsh's
// lower-case arrays tied to them, and module parameters), ksh93(1)
// "Parameters" (discipline `.sh.*` names are no variable names here),
// mksh(1) "Parameters": its integer variables (COLUMNS, LINES, KSHUID,
// KSHGID, KSHEGID, PGRP, USER_ID, PPID, RANDOM, SECONDS, TMOUT, OPTIND,
// BASHPID) evaluate `$(...)` inside an assigned `a[...]` subscript.

/** Namespaces a shell owns: every name that starts so is the shell's. */
const SHELL_PREFIXES = /^(?:BASH|KSH_|MKSH_|ZSH_|ZLE_|HIST|PS\d*$|PROMPT|RPROMPT|RPS\d|SPROMPT|LC_|COMP_|READLINE_|TRY_BLOCK_)/;

/**
 * Exact names, grouped by what assigning them does (the manuals above).
 * PATH, HOME, SHELL, TMPDIR and TERM are missing on purpose: every shell
 * reads them, none evaluates them, and they read back exactly; an author who
 * names them under `values:` means them. Keys from a writer never reach them
 * (untrustedKeyFamily refuses them by their own families).
 */
// prettier-ignore
const SHELL_NAMES: Record<string, readonly string[]> = {
  // Run code later: ENV names a file interactive sh, ksh, mksh and dash
  // source; FPATH autoloads functions; ZDOTDIR picks zsh's startup files;
  // zsh runs `stty $STTY` before external commands and $NULLCMD /
  // $READNULLCMD for a bare redirection; FCEDIT is the editor `fc` runs;
  // zsh expands WATCHFMT and TIMEFMT like prompts.
  'runs code': ['ENV', 'FPATH', 'ZDOTDIR', 'STTY', 'NULLCMD', 'READNULLCMD', 'MODULE_PATH', 'FCEDIT', 'WATCH', 'WATCHFMT', 'TIMEFMT', 'TIMEFORMAT', 'MAIL', 'MAILPATH'],
  // Change what the rest of the sourcing script, or the shell, does:
  // splitting, cd, globbing, options, limits, history, locale (ksh93 drops
  // an unknown locale and, like bash and mksh, prints the value on stderr),
  // terminal size (zsh, mksh: integers), timeouts, getopts state.
  'changes the sourcing shell': [
    'IFS', 'CDPATH', 'PWD', 'OLDPWD', 'GLOBIGNORE', 'EXECIGNORE', 'FIGNORE', 'SHELLOPTS', 'POSIXLY_CORRECT', 'CHILD_MAX', 'INPUTRC',
    'HOSTFILE', 'WORDCHARS', 'LISTMAX', 'SAVEHIST', 'DIRSTACKSIZE', 'REPORTTIME', 'REPORTMEMORY', 'CORRECT_IGNORE', 'CORRECT_IGNORE_FILE',
    'LANG', 'LANGUAGE', 'COLUMNS', 'LINES', 'SHLVL', 'TMOUT', 'KEYTIMEOUT', 'OPTIND', 'OPTARG', 'OPTERR', 'FUNCNEST', 'MAILCHECK',
    'MANPATH', 'PSVAR', 'TMPPREFIX',
  ],
  // Read-only or dynamic: assigning fails, prints the value, runs code
  // (mksh's integers, bash's RANDOM and OPTIND), or reads back something else.
  'does not read back': [
    '_', 'UID', 'EUID', 'GID', 'EGID', 'USERNAME', 'PPID', 'GROUPS', 'FUNCNAME', 'DIRSTACK', 'PIPESTATUS', 'LINENO', 'ERRNO', 'ARGC',
    'TTYIDLE', 'RANDOM', 'SRANDOM', 'SECONDS', 'HISTCMD', 'EPOCHSECONDS', 'EPOCHREALTIME', 'JOBMAX', 'KSHUID', 'KSHGID', 'KSHEGID',
    'USER_ID', 'PGRP', 'KEYBOARD_HACK', 'HOSTNAME', 'HOSTTYPE', 'MACHTYPE', 'OSTYPE', 'VENDOR', 'CPUTYPE', 'SIGNALS',
  ],
};

const SHELL_NAME_GROUP = new Map(Object.entries(SHELL_NAMES).flatMap(([group, names]) => names.map((n) => [n, group] as const)));

/**
 * A key one of bash, dash, busybox ash, zsh, ksh93 or mksh treats specially
 * when a file is sourced (`set -a; . file`); the family's name, or undefined.
 * Keys without any upper-case letter are refused as a family: zsh ties
 * lower-case names to its specials (`path`, `fpath`, `status`, `options`,
 * `parameters`, ...) and every module it loads adds more (`mapfile`).
 */
export function shellSpecialFamily(key: string): string | undefined {
  const group = SHELL_NAME_GROUP.get(key);
  if (group !== undefined) return `shell special name (${group})`;
  if (SHELL_PREFIXES.test(key))
    return 'shell special name (a namespace a shell owns: BASH*, KSH_*, ZSH_*, ZLE_*, HIST*, PS<n>, PROMPT*, RPROMPT*, LC_*, COMP_*, READLINE_*)';
  if (/^[a-z][a-z0-9_]*$/.test(key)) return 'shell special name (all lower case: zsh ties such names to its special parameters)';
  return undefined;
}

/**
 * Segments of a nested key that a reader of json, yaml or php gives a
 * meaning beyond "a key":
 * - `<<`: YAML's merge key. Ruby's Psych merges it even when quoted, and its
 *   merge overrides keys already set (`YAML.safe_load(s, aliases: true)`,
 *   `YAML.load` as Rails calls it), so a `<<` beside `host` replaces `host`.
 *   PyYAML and `yaml` 1.1 merge a plain `<<`. `=` is YAML 1.1's value key.
 * - `__proto__`, `constructor`, `prototype`: a JavaScript reader that copies
 *   the parsed object with `Object.assign` or a deep merge sets the
 *   prototype (prototype pollution).
 * - Type tags of polymorphic deserializers: `@type`/`@class` (Jackson default
 *   typing, fastjson autoType), `$type` (Json.NET TypeNameHandling), `$ref`
 *   and `$id` (JSON reference resolvers), `json_class` (Ruby `JSON.load`
 *   creates that class), `py/object` and other `py/` tags (jsonpickle):
 *   any segment starting with `@`, `$` or `py/`, or named `json_class`.
 * PHP's `require` of our `return [...]` gives no key a special meaning
 * (integer-like keys read back under `(string)`; test/formats/php.test.ts).
 */
export function nestedSpecialFamily(key: string): string | undefined {
  const yaml = yamlSpecialFamily(key);
  if (yaml !== undefined) return yaml;
  for (const segment of key.split('.')) {
    if (segment === '__proto__' || segment === 'constructor' || segment === 'prototype') return `JavaScript prototype member (${segment})`;
    if (/^[@$]|^py\/|^json_class$/.test(segment)) return `type tag of a polymorphic deserializer (${segment})`;
  }
  return undefined;
}

/**
 * A segment YAML readers do not read as a plain key, whoever chose it: the
 * `yaml` format refuses it for every key, since the file would not read back.
 */
export function yamlSpecialFamily(key: string): string | undefined {
  const segment = key.split('.').find((s) => s === '<<' || s === '=');
  return segment === undefined ? undefined : `YAML merge or value key (${segment}: Ruby's Psych merges it over the keys beside it, even quoted)`;
}

/** An environment-variable-shaped key: the only kind a program reads from its environment by name. */
const ENV_SHAPED = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The family of a key an untrusted writer chose, or undefined when it is an
 * ordinary key. Dotted keys (json "*" in json, yaml and php) are object
 * paths, not environment names: only their segments' reader meanings apply.
 */
export function untrustedKeyFamily(key: string): string | undefined {
  if (!ENV_SHAPED.test(key)) return nestedSpecialFamily(key);
  const upper = key.toUpperCase();
  for (const family of UNTRUSTED_FAMILIES) if (family.test(upper)) return family.name;
  const shell = shellSpecialFamily(upper);
  return shell ?? nestedSpecialFamily(key);
}

/** What one manifest entry (a `paths:` entry or a `json: "*"` value) lets its writer choose. */
export interface KeyPolicy {
  /** Keys in a family this entry may produce anyway. */
  allowKeys: readonly string[];
  /** When given, the only keys this entry may produce. */
  keys?: readonly string[] | undefined;
}

/** `optIn`: what the manifest can say to take the key (`none`: nothing; rename the field). */
export type KeyVerdict = { allowed: true } | { allowed: false; family: string; optIn: 'allow_keys' | 'keys' | 'none' };

/**
 * The gate: may an entry with `policy` produce `key` (after any
 * `key_prefix`)? A listed `keys:` narrows, `allow_keys:` widens; nested
 * reader-special segments are never allowed (no reader reads them as data).
 */
export function judgeUntrustedKey(key: string, policy: KeyPolicy): KeyVerdict {
  if (policy.keys !== undefined && !policy.keys.includes(key)) return { allowed: false, family: "not in this entry's `keys:` list", optIn: 'keys' };
  const nested = nestedSpecialFamily(key);
  if (nested !== undefined) return { allowed: false, family: nested, optIn: 'none' };
  if (policy.allowKeys.includes(key)) return { allowed: true };
  const family = untrustedKeyFamily(key);
  return family === undefined ? { allowed: true } : { allowed: false, family, optIn: 'allow_keys' };
}
