/**
 * Issue 16, section 1, against the real readers: for each name the old list
 * let through, the reader shows why the name matters (the parameter writer
 * runs a command, reads TLS keys, or overrides a trusted value), and the gate
 * refuses the key before any file is written (exit 6, naming key, family
 * and parameter). Every "refused" test here failed on the old list.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ReservedKeyError, UnrepresentableValueError } from '../../src/errors.js';
import { jsonFormat } from '../../src/formats/json.js';
import { shellFormat } from '../../src/formats/shell.js';
import { yamlFormat } from '../../src/formats/yaml.js';
import { renderOutputs } from '../../src/render.js';
import { resolveFromMemory } from '../helpers/memory-store.js';

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ssm-gate-'));
  dirs.push(d);
  return d;
}

const resolve = resolveFromMemory;

async function refusal(text: string, values: Record<string, string>): Promise<ReservedKeyError> {
  const err = await resolve(text, values).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ReservedKeyError);
  return err as ReservedKeyError;
}

const pathsManifest = (format: string) => `version: 1\noutputs:\n  - { path: out.${format}, format: ${format}, paths: [ { path: /app/env } ] }\n`;
const ctx = { outputPath: '/srv/env' };

describe('java: JAVA_OPTS spliced into a start script runs -XX:OnOutOfMemoryError', () => {
  const hostile = '-XX:OnOutOfMemoryError=touch${IFS}pwned';

  it('a start script that sources the shell file runs the command (so the key matters)', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'Oom.java'),
      'public class Oom { public static void main(String[] a) { java.util.List<long[]> l = new java.util.ArrayList<>(); while (true) l.add(new long[1 << 16]); } }\n',
    );
    expect(spawnSync('javac', ['Oom.java'], { cwd: dir }).status).toBe(0);
    writeFileSync(join(dir, 'env.sh'), shellFormat.render([['JAVA_OPTS', hostile]], ctx));
    // What catalina.sh, Gradle's and most start scripts do with $JAVA_OPTS.
    spawnSync('sh', ['-c', 'set -a; . ./env.sh; set +a; exec java -Xmx16m $JAVA_OPTS -cp . Oom'], { cwd: dir, stdio: 'ignore', timeout: 60_000 });
    expect(existsSync(join(dir, 'pwned'))).toBe(true);
  });

  it('the gate refuses JAVA_OPTS and JAVA_TOOL_OPTIONS from a path', async () => {
    const err = await refusal(pathsManifest('shell'), { '/app/env/java-opts': hostile, '/app/env/java_tool_options': hostile, '/app/env/db-host': 'db' });
    expect(err.exitCode).toBe(6);
    expect(err.refused.map((r) => r.key).sort()).toEqual(['JAVA_OPTS', 'JAVA_TOOL_OPTIONS']);
    expect(err.message).not.toContain('OnOutOfMemoryError');
  });
});

describe('make: MAKEFLAGS from the environment runs $(shell ...)', () => {
  const hostile = '--eval=$(shell touch pwned)';

  it('make, run after sourcing the file, runs the command (so the key matters)', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'Makefile'), 'all:\n\t@true\n');
    writeFileSync(join(dir, 'env.sh'), shellFormat.render([['MAKEFLAGS', hostile]], ctx));
    // make runs an early --eval's $(shell) with $SHELL from the environment,
    // as a login session has it; CI's runner starts with no SHELL at all.
    const made = spawnSync('sh', ['-c', 'set -a; . ./env.sh; set +a; make -s'], { cwd: dir, encoding: 'utf8', env: { ...process.env, SHELL: '/bin/sh' } });
    expect(existsSync(join(dir, 'pwned')), `make exited ${made.status}: ${made.stderr}`).toBe(true);
  });

  it('the gate refuses MAKEFLAGS, GNUMAKEFLAGS and MAKEFILES from a path', async () => {
    const err = await refusal(pathsManifest('dotenv'), { '/app/env/makeflags': hostile, '/app/env/gnumakeflags': hostile, '/app/env/makefiles': '/tmp/x.mk' });
    expect(err.refused.map((r) => `${r.key}: ${r.family.split(' (')[0]}`).sort()).toEqual([
      'GNUMAKEFLAGS: interpreter and runtime options',
      'MAKEFILES: interpreter and runtime options',
      'MAKEFLAGS: interpreter and runtime options',
    ]);
  });
});

describe('python: SSLKEYLOGFILE makes every TLS client write its session keys to a file the writer chose', () => {
  it('a real TLS handshake in python3 writes the keys, world-readable (so the key matters)', () => {
    const dir = tempDir();
    expect(
      spawnSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          'k.pem',
          '-out',
          'c.pem',
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=DNS:localhost',
        ],
        { cwd: dir, stdio: 'ignore' },
      ).status,
    ).toBe(0);
    const script = `
import os, socket, ssl, threading
server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); server.load_cert_chain('c.pem', 'k.pem')
listener = socket.socket(); listener.bind(('127.0.0.1', 0)); listener.listen(1)
def serve():
    conn, _ = listener.accept()
    with server.wrap_socket(conn, server_side=True) as s: s.recv(1)
threading.Thread(target=serve, daemon=True).start()
client = ssl.create_default_context(cafile='c.pem')
with socket.create_connection(listener.getsockname()) as raw:
    with client.wrap_socket(raw, server_hostname='localhost') as s: s.send(b'x')
`;
    writeFileSync(join(dir, 'env.sh'), shellFormat.render([['SSLKEYLOGFILE', join(dir, 'stolen.log')]], ctx));
    const res = spawnSync('sh', ['-c', `set -a; . ./env.sh; set +a; umask 022; exec python3 -c "$0"`, script], { cwd: dir, encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
    expect(readFileSync(join(dir, 'stolen.log'), 'utf8')).toMatch(/CLIENT_HANDSHAKE_TRAFFIC_SECRET|CLIENT_RANDOM/);
    expect(statSync(join(dir, 'stolen.log')).mode & 0o004).toBe(0o004);
  });

  it('the gate refuses SSLKEYLOGFILE (and other TLS settings) from a path', async () => {
    const err = await refusal(pathsManifest('dotenv'), {
      '/app/env/sslkeylogfile': '/tmp/k',
      '/app/env/ssl-cert-file': '/tmp/ca',
      '/app/env/pgsslmode': 'disable',
    });
    expect(err.refused.map((r) => r.key).sort()).toEqual(['PGSSLMODE', 'SSLKEYLOGFILE', 'SSL_CERT_FILE']);
  });
});

describe("ruby Psych: a JSON field named << written to yaml overrides a trusted key (Rails' YAML.load)", () => {
  const manifest = `version: 1
outputs:
  - path: config.yaml
    format: yaml
    values:
      db.host: /trusted/db-host
      db: { parameter: /vendor/db-extras, json: "*" }
`;
  const psych = (file: string, call: string) =>
    spawnSync('ruby', ['-ryaml', '-rjson', '-e', `print JSON.generate(${call}(File.read(ARGV[0]), aliases: true))`, file], { encoding: 'utf8' });

  it('Psych merges a quoted "<<" over the keys beside it (so the key matters)', () => {
    const dir = tempDir();
    // What the yaml format wrote before the gate: the field's path as nested keys.
    const text = yamlFormat
      .render(
        [
          ['db.host', 'trusted.internal'],
          ['db.MERGE.host', 'attacker.example'],
        ],
        ctx,
      )
      .replace('"MERGE"', '"<<"');
    writeFileSync(join(dir, 'c.yaml'), text);
    for (const call of ['YAML.safe_load', 'YAML.load']) {
      const res = psych(join(dir, 'c.yaml'), call);
      expect(res.status, res.stderr).toBe(0);
      expect(JSON.parse(res.stdout)).toEqual({ db: { host: 'attacker.example' } });
    }
  });

  it('the gate refuses the field, with no opt-in; without it Psych reads the trusted value', async () => {
    const err = await refusal(manifest, {
      '/trusted/db-host': 'trusted.internal',
      '/vendor/db-extras': JSON.stringify({ '<<': { host: 'attacker.example' }, pool: '5' }),
    });
    expect(err.refused).toEqual([
      { output: '/out/config.yaml', key: 'db.<<.host', parameter: '/vendor/db-extras', family: expect.stringContaining('YAML merge') },
    ]);
    expect(err.message).toContain('no opt-in exists for it: rename the field');
    const [rendered] = renderOutputs(await resolve(manifest, { '/trusted/db-host': 'trusted.internal', '/vendor/db-extras': JSON.stringify({ pool: '5' }) }));
    const dir = tempDir();
    writeFileSync(join(dir, 'c.yaml'), rendered!.content);
    expect(JSON.parse(psych(join(dir, 'c.yaml'), 'YAML.safe_load').stdout)).toEqual({ db: { host: 'trusted.internal', pool: '5' } });
  });

  it('the yaml format refuses a merge key the author wrote too: no YAML 1.1 reader would read it back', () => {
    expect(() =>
      yamlFormat.render(
        [
          ['a.<<', 'x'],
          ['b', 'y'],
        ],
        ctx,
      ),
    ).toThrow(UnrepresentableValueError);
    expect(yamlFormat.invalidKeys(['a.<<', 'a.=', 'b', '<<x'])).toEqual(['a.<<', 'a.=']);
  });
});

describe('node: a JSON field named __proto__ pollutes a reader that copies the object', () => {
  it('Object.assign over the parsed file sets the prototype (so the key matters)', () => {
    const text = jsonFormat.render(
      [
        ['cfg.__proto__.isAdmin', 'yes'],
        ['cfg.name', 'app'],
      ],
      ctx,
    );
    const res = spawnSync(
      process.execPath,
      ['-e', 'const c = Object.assign({}, JSON.parse(require("fs").readFileSync(0, "utf8")).cfg); process.stdout.write(String(c.isAdmin))'],
      { input: text, encoding: 'utf8' },
    );
    expect(res.stdout).toBe('yes');
  });

  it('the gate refuses __proto__, constructor and prototype fields under json "*"', async () => {
    const text = 'version: 1\noutputs:\n  - { path: c.json, format: json, values: { cfg: { parameter: /vendor/cfg, json: "*" } } }\n';
    const err = await refusal(text, {
      '/vendor/cfg': JSON.stringify({ ['__proto__']: { isAdmin: 'yes' }, constructor: { prototype: { x: '1' } }, name: 'app' }),
    });
    expect(err.refused.map((r) => r.key).sort()).toEqual(['cfg.__proto__.isAdmin', 'cfg.constructor.prototype.x']);
  });
});
