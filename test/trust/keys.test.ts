/**
 * The key gate (src/trust/keys.ts), issue 16 section 1: families instead of
 * a list, the manifest's opt-ins (`allow_keys`, `keys`, `key_prefix`, and
 * `allow_keys` on a `json: "*"` entry), and refusals that name the key, its
 * family, the parameter and the manifest line that would allow it.
 */
import { describe, expect, it } from 'vitest';
import { ManifestError, ReservedKeyError } from '../../src/errors.js';
import { parseManifest } from '../../src/manifest.js';
import { renderOutputs } from '../../src/render.js';
import { judgeUntrustedKey, nestedSpecialFamily, untrustedKeyFamily } from '../../src/trust/keys.js';
import { resolveFromMemory } from '../helpers/memory-store.js';

const CANARY = 'CANARY-gate-51c9';

const resolve = resolveFromMemory;

const failure = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

function manifestProblems(text: string): string[] {
  try {
    parseManifest(text, 'm.yaml', {}, '/out');
  } catch (e) {
    if (e instanceof ManifestError) return e.problems.map((p) => `${p.line}: ${p.message}`);
    throw e;
  }
  return [];
}

describe('the key gate decides by families', () => {
  it('refuses every name the issue reproduced or listed (all accepted by the old list)', () => {
    // prettier-ignore
    const issue16 = [
      'JAVA_OPTS', 'MAKEFLAGS', 'SSLKEYLOGFILE', 'DOTNET_STARTUP_HOOKS', 'CORECLR_PROFILER', 'CORECLR_ENABLE_PROFILING', 'CORECLR_PROFILER_PATH',
      'AWS_EC2_METADATA_SERVICE_ENDPOINT', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'PIP_INDEX_URL', 'GOFLAGS', 'SUDO_EDITOR', 'SYSTEMD_PAGER',
    ];
    expect(issue16.filter((k) => untrustedKeyFamily(k) === undefined)).toEqual([]);
  });

  it('covers each family by rule, not by name: names no list had', () => {
    // prettier-ignore
    const byFamily: Record<string, string[]> = {
      'dynamic loader': ['LD_BIND_NOW', 'LD_DEBUG_OUTPUT', 'DYLD_FALLBACK_LIBRARY_PATH', 'MALLOC_CHECK_', 'GLIBC_TUNABLES'],
      'runtime options': ['NODE_FUTURE_OPTION', 'PYTHONSAFEPATH', 'PIP_EXTRA_INDEX_URL', 'JAVA_NEW_KNOB', 'JDK_FUTURE', 'DOTNET_ROLL_FORWARD', 'COMPLUS_ETWENABLED', 'COR_PROFILER', 'RUBYGEMS_HOST', 'GEM_SOURCE', 'PERL5DB', 'PHP_INI_SCAN_DIR', 'GOTOOLCHAIN', 'GOPROXY', 'CGO_ENABLED', 'CARGO_BUILD_RUSTC_WRAPPER', 'LUA_INIT', 'MAKEFILES', 'MFLAGS', 'SYSTEMD_LESS', 'npm_config_script_shell'],
      'options': ['CATALINA_OPTS', 'MYAPP_OPTS', 'GRADLE_OPTS', 'ELIXIR_ERL_OPTIONS', 'FEATURE_FLAGS', 'CFLAGS', 'JVM_ARGS'],
      'search paths': ['PATH', 'MANPATH', 'UPLOAD_PATH', 'LIBRARY_PATH', 'LIBPATH', 'HOME', 'CACHE_DIR', 'XDG_CONFIG_DIRS', 'TERMINFO', 'QT_PLUGIN_PATH'],
      'files': ['AWS_PROFILE', 'KRB5_CONFIG', 'WGETRC', 'INPUTRC', 'NETRC', 'HISTFILE', 'DB_PASSWORD_FILE', 'OPENSSL_CONF'],
      'proxies and endpoints': ['http_proxy', 'HTTPS_PROXY', 'NO_PROXY', 'AWS_ENDPOINT_URL_STS', 'GCE_METADATA_HOST', 'ECS_CONTAINER_METADATA_URI', 'NPM_CONFIG_REGISTRY', 'AZURE_AUTHORITY_HOST', 'SSH_AUTH_SOCK'],
      'TLS': ['SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'NODE_EXTRA_CA_CERTS', 'NODE_TLS_REJECT_UNAUTHORIZED', 'PGSSLMODE', 'GIT_SSL_NO_VERIFY', 'PYTHONHTTPSVERIFY', 'JAVAX_NET_SSL_TRUSTSTORE'],
      'credentials': ['AWS_ACCESS_KEY_ID', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AZURE_CLIENT_SECRET', 'GOOGLE_APPLICATION_CREDENTIALS', 'GIT_CONFIG_COUNT', 'GIT_CONFIG_KEY_0', 'KUBECONFIG', 'DOCKER_HOST', 'VAULT_ADDR', 'GNUPGHOME'],
      'commands': ['EDITOR', 'VISUAL', 'GIT_EDITOR', 'PAGER', 'MANPAGER', 'LESSOPEN', 'LESS', 'SUDO_ASKPASS', 'BROWSER', 'GIT_SSH_COMMAND', 'SHELL', 'RUBYSHELL', 'DEPLOY_HOOK', 'RUSTC_WRAPPER'],
      "shells' special names": ['IFS', 'ENV', 'BASH_ENV', 'PS0', 'PS4', 'PROMPT_COMMAND', 'PROMPT_EOL_MARK', 'COLUMNS', 'LINES', 'KSHUID', 'KSHGID', 'KSHEGID', 'PGRP', 'USER_ID', 'RANDOM', 'SECONDS', 'TMOUT', 'OPTIND', 'LANG', 'LC_ALL', '_'],
    };
    for (const [family, names] of Object.entries(byFamily))
      expect(
        names.filter((k) => untrustedKeyFamily(k) === undefined),
        family,
      ).toEqual([]);
  });

  it('leaves ordinary application keys alone', () => {
    // prettier-ignore
    const ordinary = [
      'DB_HOST', 'DB_PORT', 'DB_USER', 'DB_NAME', 'DB_PASSWORD', 'REDIS_PASSWORD', 'API_KEY', 'PORT', 'LOG_LEVEL', 'PATHS', 'PSQL_URL', 'ENVIRONMENT',
      'LDAP_URL', 'REDIS_URL', 'DATABASE_URL', 'RABBITMQ_URL', 'SECRET_KEY_BASE', 'STRIPE_SECRET_KEY', 'SMTP_HOST', 'SMTP_PASSWORD', 'SENTRY_DSN',
      'JWT_SECRET', 'SESSION_SECRET', 'MAIL_HOST', 'MAILER_DSN', 'S3_BUCKET', 'APP_NAME', 'TWILIO_AUTH_TOKEN', 'PUBLIC_KEY', 'PRIVATE_KEY', 'GOOGLE_API_KEY',
      'ENCRYPTION_KEY', 'FEATURE_X', 'TMOUT_MS', 'PS_X', 'ZSH', 'KSH', '__', 'CALIBRATION',
    ];
    expect(ordinary.map((k) => [k, untrustedKeyFamily(k)]).filter(([, f]) => f !== undefined)).toEqual([]);
  });

  it('judges the final name: a prefix takes a key out of a namespace, never out of a suffix family', () => {
    // No loader reads APP_LD_LIBRARY_PATH, yet it still ends in PATH; a start
    // script for an app named "app" reads APP_OPTS (Gradle's application plugin does).
    expect(untrustedKeyFamily('APP_LD_LIBRARY_PATH')).toMatch(/search paths/);
    expect(untrustedKeyFamily('APP_OPTS')).toMatch(/options/);
    expect(untrustedKeyFamily('APP_NODE_ENV')).toBeUndefined();
    expect(untrustedKeyFamily('APP_AWS_REGION')).toBeUndefined();
  });

  it('refuses reader-special segments of nested keys, with no opt-in', () => {
    for (const key of [
      'db.<<',
      'db.<<.host',
      'a.=',
      'a.__proto__.x',
      'constructor.prototype.polluted',
      'x.@type',
      'x.$type',
      'x.$ref',
      'x.json_class',
      'x.py/object',
    ]) {
      expect(nestedSpecialFamily(key), key).toBeDefined();
      expect(judgeUntrustedKey(key, { allowKeys: [key] })).toMatchObject({ allowed: false, optIn: 'none' });
    }
    expect(untrustedKeyFamily('stripe.secret_key')).toBeUndefined();
    // A dotted key is an object path, not an environment name.
    expect(untrustedKeyFamily('build.java_opts')).toBeUndefined();
  });
});

describe('opt-ins on a manifest entry', () => {
  const store = { '/app/env/db-host': 'db.internal', '/app/env/java-opts': `-XX:OnOutOfMemoryError=${CANARY}`, '/app/env/node-env': 'production' };

  it('keys: the path produces only the listed keys; any other is refused by name, with the line to change', async () => {
    const err = await failure(
      resolve('version: 1\noutputs:\n  - path: a.env\n    format: dotenv\n    paths:\n      - { path: /app/env, keys: [DB_HOST] }\n', store),
    );
    expect(err).toBeInstanceOf(ReservedKeyError);
    const e = err as ReservedKeyError;
    expect(e.exitCode).toBe(6);
    expect(e.refused.map((r) => r.key).sort()).toEqual(['JAVA_OPTS', 'NODE_ENV']);
    expect(e.message).toMatch(
      /m\.yaml:6: \/out\/a\.env: key NODE_ENV from parameter \/app\/env\/node-env: not in this entry's `keys:` list; to take it, add NODE_ENV to `keys:` on the path entry at \S*m\.yaml:6/,
    );
    expect(`${e.message}${e.hint}`).not.toContain(CANARY);
  });

  it('keys: exactly the listed keys come through', async () => {
    const [out] = await resolve(
      'version: 1\noutputs:\n  - path: a.env\n    format: dotenv\n    paths:\n      - { path: /app/env, keys: [DB_HOST, NODE_ENV], allow_keys: [NODE_ENV] }\n',
      {
        '/app/env/db-host': 'db.internal',
        '/app/env/node-env': 'production',
      },
    );
    expect(out!.entries).toEqual([
      ['DB_HOST', 'db.internal'],
      ['NODE_ENV', 'production'],
    ]);
  });

  it('key_prefix namespaces every key; the gate judges the prefixed name', async () => {
    const err = await failure(
      resolve('version: 1\noutputs:\n  - path: a.env\n    format: dotenv\n    paths:\n      - { path: /app/env, key_prefix: APP_ }\n', store),
    );
    // APP_DB_HOST and APP_NODE_ENV pass; APP_JAVA_OPTS still ends in _OPTS.
    expect((err as ReservedKeyError).refused).toEqual([
      { output: '/out/a.env', key: 'APP_JAVA_OPTS', parameter: '/app/env/java-opts', family: expect.stringContaining('options') },
    ]);
    const [out] = await resolve(
      'version: 1\noutputs:\n  - path: a.env\n    format: dotenv\n    paths:\n      - { path: /app/env, key_prefix: APP_, allow_keys: [APP_JAVA_OPTS] }\n',
      store,
    );
    expect(renderOutputs([out!])[0]!.keys).toEqual(['APP_DB_HOST', 'APP_JAVA_OPTS', 'APP_NODE_ENV']);
  });

  it('allow_keys on a json "*" entry widens that expansion only, and the refusal says where to put it', async () => {
    const secret = JSON.stringify({ java_opts: `-XX:OnOutOfMemoryError=${CANARY}`, user: 'app' });
    const text = (extra: string) =>
      `version: 1\noutputs:\n  - path: a.env\n    format: dotenv\n    values:\n      BUILD: { parameter: /app/secret, json: "*"${extra} }\n`;
    const err = (await failure(resolve(text(''), { '/app/secret': secret }))) as ReservedKeyError;
    expect(err).toBeInstanceOf(ReservedKeyError);
    expect(err.message).toMatch(
      /key BUILD_JAVA_OPTS from parameter \/app\/secret: family "command-line options[^"]*"; to allow it, add `allow_keys: \[BUILD_JAVA_OPTS\]` on the json "\*" entry at \S*m\.yaml:6/,
    );
    expect(err.refused.map((r) => r.key)).toEqual(['BUILD_JAVA_OPTS']);
    const [out] = await resolve(text(', allow_keys: [BUILD_JAVA_OPTS]'), { '/app/secret': secret });
    expect(out!.entries.map(([k]) => k)).toEqual(['BUILD_JAVA_OPTS', 'BUILD_USER']);
  });

  it('the manifest reader checks the opt-ins offline, with file and line', () => {
    expect(
      manifestProblems(`version: 1
outputs:
  - path: a.env
    format: dotenv
    values:
      A: { parameter: /a, allow_keys: [X] }
    paths:
      - { path: /p1, key_prefix: app_ }
      - { path: /p2, key_prefix: LD_ }
      - { path: /p3, key_prefix: APP_, keys: [DB_HOST] }
      - { path: /p4, keys: [DB_HOST, JAVA_OPTS] }
      - { path: /p5, keys: DB_HOST }
`),
    ).toEqual([
      '6: only used with `json: "*"` (keys you name yourself need no opt-in)',
      '8: "app_" is not a key prefix (upper case A-Z, 0-9, _, starting with a letter, e.g. APP_)',
      expect.stringMatching(/^9: key_prefix LD_ puts every key from this path in the refused family "dynamic loader/),
      '10: DB_HOST never comes from this path: every key from it starts with its key_prefix APP_',
      expect.stringMatching(/^11: JAVA_OPTS is in the refused family "interpreter and runtime options[^"]*": list it in `allow_keys: \[JAVA_OPTS\]` too/),
      '12: expected a list of keys, e.g. [PATH]',
    ]);
  });
});
