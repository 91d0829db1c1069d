/**
 * The real consumers, run in batches (one process for many files) so the
 * property tests stay fast: bash/dash sourcing, PyYAML, php, and systemd's
 * own env-file parser through its environment.d generator.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entries } from '../../src/formats/types.js';

export interface Case {
  entries: Entries;
  content: string;
}

function withDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'ssm-fmt-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Source each file with `set -a; . file` and print every key's
 * value NUL-terminated (values never hold NUL: the format refuses it).
 * Loop variables carry a prefix no test key uses, so a sourced file cannot
 * clobber them. Returns, per case, the values read back, plus what the shell
 * printed on stderr, and whether any command ran (the `pwned` canary file).
 */
export function sourceInShell(shell: 'bash' | 'sh', cases: Case[]): { values: Record<string, string>[]; stderr: string; executed: boolean } {
  return withDir((dir) => {
    const files = cases.map((c, i) => {
      const file = join(dir, `f${i}.sh`);
      writeFileSync(file, c.content);
      writeFileSync(`${file}.keys`, c.entries.map(([k]) => k + '\n').join(''));
      return file;
    });
    const script = [
      'for __ssm_f in "$@"; do',
      // No subshell per file (a fork each made long fuzz runs slow): each file
      // is sourced in turn and only the keys it defines are printed right after.
      '  set -a; . "$__ssm_f"; set +a',
      '  while IFS= read -r __ssm_k; do eval "__ssm_v=\\${$__ssm_k}"; printf "%s\\0" "$__ssm_v"; done < "$__ssm_f.keys"',
      '  printf "\\001END\\0"',
      'done',
    ].join('\n');
    // bash reads ~/.bashrc when it thinks stdin is a network socket; keep the run hermetic.
    const args = shell === 'bash' ? ['--norc', '--noprofile', '-c', script, shell, ...files] : ['-c', script, shell, ...files];
    const res = spawnSync(shell, args, { cwd: dir, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
    if (res.status !== 0) throw new Error(`${shell} exited ${res.status}: ${res.stderr.toString()}`);
    const parts = res.stdout.toString('utf8').split('\0');
    const groups: string[][] = [];
    let current: string[] = [];
    for (const p of parts.slice(0, -1)) {
      if (p === '\u0001END') {
        groups.push(current);
        current = [];
      } else current.push(p);
    }
    return {
      // A value the shell did not print shows up as '<missing>', never as undefined (which toEqual ignores).
      values: cases.map((c, i) => Object.fromEntries(c.entries.map(([k], j) => [k, groups[i]?.[j] ?? '<missing>']))),
      stderr: res.stderr.toString(),
      executed: existsSync(join(dir, 'pwned')),
    };
  });
}

/** Flatten every file with PyYAML's safe_load; non-string leaves are reported as `<type>`. */
export function readWithPyYaml(contents: string[]): Array<Record<string, string> | { error: string }> {
  const script = `
import json, sys, yaml
out = []
def walk(node, prefix, acc):
    for k, v in node.items():
        if not isinstance(k, str):
            raise TypeError("key %r is %s" % (k, type(k).__name__))
        key = k if prefix == "" else prefix + "." + k
        if isinstance(v, dict):
            walk(v, key, acc)
        elif isinstance(v, str):
            acc[key] = v
        else:
            acc[key] = "<" + type(v).__name__ + ">"
for path in sys.argv[1:]:
    try:
        with open(path, encoding="utf-8", newline="") as f:
            doc = yaml.safe_load(f)
        acc = {}
        walk(doc, "", acc)
        out.append(acc)
    except Exception as e:
        out.append({"error": type(e).__name__ + ": " + str(e)[:200]})
sys.stdout.write(json.dumps(out))
`;
  return withDir((dir) => {
    const files = contents.map((c, i) => {
      const file = join(dir, `f${i}.yaml`);
      writeFileSync(file, c);
      return file;
    });
    const out = execFileSync('python3', ['-c', script, ...files], { encoding: 'utf8', maxBuffer: 1 << 28 });
    return JSON.parse(out) as Array<Record<string, string> | { error: string }>;
  });
}

/**
 * `$config = require $file;` in real PHP for every file, flattened to dotted
 * keys with `(string) $key`; non-string leaves are reported as `<type>`.
 * Output is JSON (values are valid UTF-8: lone surrogates are refused).
 */
export function requireWithPhp(contents: string[]): Array<Record<string, string> | { error: string }> {
  const script = `
function walk($node, $prefix, &$acc) {
  foreach ($node as $k => $v) {
    $key = $prefix === '' ? (string) $k : $prefix . '.' . (string) $k;
    if (is_array($v)) walk($v, $key, $acc);
    elseif (is_string($v)) $acc[] = [$key, $v];
    else $acc[] = [$key, '<' . gettype($v) . '>'];
  }
}
$out = [];
foreach (array_slice($argv, 1) as $file) {
  ob_start();
  $config = require $file;
  $printed = ob_get_clean();
  $acc = [];
  if ($printed !== '') $out[] = ['error' => 'the file printed output'];
  elseif (!is_array($config)) $out[] = ['error' => 'require did not return an array'];
  else { walk($config, '', $acc); $out[] = $acc; }
}
echo json_encode($out, JSON_THROW_ON_ERROR | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES);
`;
  return withDir((dir) => {
    const files = contents.map((c, i) => {
      const file = join(dir, `f${i}.php`);
      writeFileSync(file, c);
      return file;
    });
    const out = execFileSync('php', ['-r', script, '--', ...files], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const parsed = JSON.parse(out) as Array<Array<[string, string]> | { error: string }>;
    return parsed.map((r) => (Array.isArray(r) ? Object.fromEntries(r) : r));
  });
}

export const SYSTEMD_GENERATOR = '/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator';

/**
 * Decode one value as the environment.d generator prints it: bare, or in
 * double quotes with `\\ \" \$ \`` and C escapes (`\n`, `\t`, octal `\ooo`)
 * for control characters (systemd's shell_maybe_quote + cescape).
 */
function decodeGeneratorValue(s: string): string {
  if (!s.startsWith('"')) return s;
  if (!s.endsWith('"') || s.length < 2) throw new Error(`unexpected generator output: ${JSON.stringify(s)}`);
  const body = s.slice(1, -1);
  const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', $: '$', '`': '`', "'": "'" };
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = body[i + 1]!;
    if (simple[n] !== undefined) {
      out += simple[n];
      i++;
    } else if (/[0-7]{3}/.test(body.slice(i + 1, i + 4))) {
      out += String.fromCharCode(parseInt(body.slice(i + 1, i + 4), 8));
      i += 3;
    } else throw new Error(`unknown escape \\${n} in generator output`);
  }
  return out;
}

/**
 * Run systemd's real env-file parser (parse_env_file_internal, the one
 * EnvironmentFile= uses) over many files at once: systemd's environment.d
 * generator reads every `*.conf` in $XDG_CONFIG_HOME/environment.d with it and
 * prints the merged result. Files must use distinct keys (they are merged).
 * The generator then expands `$VAR` (EnvironmentFile= does not), turning `$$`
 * into `$`: callers double every `$` in the values they render for this check.
 */
export function readWithSystemdGenerator(contents: string[]): Record<string, string> {
  return withDir((dir) => {
    mkdirSync(join(dir, 'environment.d'));
    contents.forEach((c, i) => writeFileSync(join(dir, 'environment.d', `50-ssm-${String(i).padStart(5, '0')}.conf`), c));
    const res = spawnSync(SYSTEMD_GENERATOR, [], {
      env: { XDG_CONFIG_HOME: dir, HOME: dir, PATH: process.env.PATH },
      maxBuffer: 1 << 28,
    });
    if (res.status !== 0) throw new Error(`generator exited ${res.status}: ${res.stderr.toString()}`);
    const out: Record<string, string> = {};
    for (const line of res.stdout.toString('utf8').split('\n')) {
      if (line === '') continue;
      const eq = line.indexOf('=');
      out[line.slice(0, eq)] = decodeGeneratorValue(line.slice(eq + 1));
    }
    return out;
  });
}

/**
 * Run the real docker CLI's `--env-file` parser: `docker run` parses every
 * env file client-side, then sends the resulting `Env` list to the daemon in
 * POST /containers/create. A fake daemon on a private unix socket answers the
 * ping, records that request and fails it, so no container ever runs.
 * Files are merged (later wins), so callers give each case distinct keys.
 * The ping advertises a high API version, so the CLI keeps its own default.
 */
export async function readWithDockerCli(contents: string[]): Promise<{ env: string[]; stderr: string }> {
  const { createServer } = await import('node:http');
  const { execFile } = await import('node:child_process');
  const dir = mkdtempSync(join(tmpdir(), 'ssm-docker-'));
  const socket = join(dir, 'docker.sock');
  let env: string[] | undefined;
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      if (req.url?.endsWith('/_ping')) {
        res.writeHead(200, { 'API-Version': '1.99', 'Content-Type': 'text/plain' });
        res.end('OK');
        return;
      }
      if (req.url?.includes('/containers/create')) env = (JSON.parse(body) as { Env: string[] | null }).Env ?? [];
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: 'fake daemon: not creating containers' }));
    });
  });
  try {
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    const args = ['-H', `unix://${socket}`, 'run', '--pull', 'never'];
    contents.forEach((c, i) => {
      const file = join(dir, `f${i}.env`);
      writeFileSync(file, c);
      args.push('--env-file', file);
    });
    args.push('ssm-materialize-test-image', 'true');
    const stderr = await new Promise<string>((resolve) => {
      execFile('docker', args, { env: { PATH: process.env.PATH, DOCKER_CONFIG: dir, HOME: dir }, maxBuffer: 1 << 26 }, (_err, _out, err) =>
        resolve(String(err)),
      );
    });
    if (env === undefined) throw new Error(`docker did not send a create request: ${stderr}`);
    return { env, stderr };
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
