/**
 * `put` on a terminal: the value is typed at a hidden prompt and never
 * echoed; it may span lines (a pasted PEM key) and ends with Ctrl-D. A real
 * pseudo-terminal comes from python3's pty module.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GetParameterCommand, GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { startEmulator, type RunningEmulator } from '@ssm-materialize/emulator';
import { CLI, cliEnv } from '../helpers/cli.js';

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(async () => {
  await emulator?.close();
});

const DRIVER = `
import os, pty, sys, time, select, json
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b''
# Type-ahead: keys pressed before the program could hide input.
if os.environ.get('EARLY'):
    os.write(fd, os.environ['EARLY'].encode())
def read(seconds, until=None):
    global out
    end = time.time() + seconds
    while time.time() < end and not (until and until in out):
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                out += os.read(fd, 4096)
            except OSError:
                return
read(10, b'end with Ctrl-D): ')
keys = os.environ['TYPED'].encode() + os.environ.get('END', '\\r\\x04').encode()
# A long paste reaches the program in pieces, as through a real terminal.
split = int(os.environ.get('SPLIT', len(keys)))
os.write(fd, keys[:split])
time.sleep(0.3 if split < len(keys) else 0)
os.write(fd, keys[split:])
read(10, os.environ.get('UNTIL', 'version').encode())
_, status = os.waitpid(pid, 0)
print(json.dumps({'screen': out.decode('utf8', 'replace'), 'status': os.waitstatus_to_exitcode(status)}))
`;

async function storedNames(names: string[]): Promise<string[]> {
  const ssm = new SSMClient({
    endpoint: emulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIAEMULATORDEMO', secretAccessKey: 'emulator-demo-secret' },
  });
  const found = await ssm.send(new GetParametersCommand({ Names: names }));
  ssm.destroy();
  return (found.Parameters ?? []).map((p) => p.Name!);
}

async function storedValue(name: string): Promise<unknown> {
  const ssm = new SSMClient({
    endpoint: emulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIAEMULATORDEMO', secretAccessKey: 'emulator-demo-secret' },
  });
  const stored = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  ssm.destroy();
  return stored.Parameter?.Value;
}

/**
 * Runs in the same terminal right after put exits, as the user's shell
 * would: prints whatever input is still waiting there.
 */
const LEFTOVER = `
import os, select, termios, tty
# TCSANOW: the default (TCSAFLUSH) would discard the very input looked for.
tty.setcbreak(0, termios.TCSANOW)
left = b''
while select.select([0], [], [], 0.5)[0]:
    chunk = os.read(0, 65536)
    if not chunk:
        break
    left += chunk
print('LEFTOVER<' + left.decode('utf8', 'replace').replace('\\r', '\\\\r').replace('\\n', '\\\\n') + '>')
`;

/** put, then LEFTOVER, in one pseudo-terminal; `keys` is what is typed once the prompt shows. */
async function putThenShell(name: string, typed: string, end?: string): Promise<{ screen: string; status: number; leftover: string }> {
  const script = '"$0" "$@"; echo "put exited $?"; python3 -c "$LEFTOVER"';
  const { stdout } = await promisify(execFile)('python3', ['-c', DRIVER, 'sh', '-c', script, process.execPath, CLI, 'put', name], {
    env: { ...cliEnv(emulator.url), TYPED: typed, ...(end === undefined ? {} : { END: end }), SPLIT: '80', UNTIL: 'LEFTOVER<', LEFTOVER },
    encoding: 'utf8',
  });
  const result = JSON.parse(stdout) as { screen: string; status: number };
  const leftover = /LEFTOVER<(.*)>/.exec(result.screen)?.[1];
  expect(leftover, result.screen).toBeDefined();
  return { ...result, leftover: leftover! };
}

const PEM = [
  '-----BEGIN PRIVATE KEY-----',
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj',
  'MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu',
  'TTY-CANARY-pem-body-echo-would-show-this',
  '-----END PRIVATE KEY-----',
].join('\n');

describe('put on a TTY', () => {
  it('a pasted multi-line PEM is stored whole, and nothing is left in the terminal input', async () => {
    // Terminals send a pasted line break as CR (raw mode does not translate it); a LF-only paste is also seen.
    for (const [name, paste] of [
      ['/tty/pem-cr', PEM.replaceAll('\n', '\r')],
      ['/tty/pem-lf', PEM],
      ['/tty/pem-crlf', PEM.replaceAll('\n', '\r\n')],
    ] as const) {
      const result = await putThenShell(name, paste);
      expect(result.leftover, name).toBe('');
      expect(await storedValue(name)).toBe(PEM);
      expect(result.screen).toContain('end with Ctrl-D');
      expect(result.screen).toContain(`stored ${name} (SecureString), version 1`);
      expect(result.screen).toContain('put exited 0');
      expect(result.screen).not.toContain('TTY-CANARY');
    }
  });

  it('input after Ctrl-D is consumed, not left for the shell, and nothing is stored', async () => {
    const result = await putThenShell('/tty/after-eof', 'TTY-CANARY-first', '\x04echo TTY-CANARY-pwned\r');
    expect(result.screen).toContain('arrived after Ctrl-D: dropped, and nothing stored');
    expect(result.screen).toContain('put exited 2');
    expect(result.screen).not.toContain('TTY-CANARY');
    expect(result.leftover).toBe('');
    expect(await storedNames(['/tty/after-eof'])).toEqual([]);
  });

  it('prompts without echo and stores what was typed', async () => {
    const typed = 'TTY-CANARY-s3cr3t';
    // Asynchronously: the emulator runs in this process and must keep answering.
    const { stdout } = await promisify(execFile)('python3', ['-c', DRIVER, process.execPath, CLI, 'put', '/tty/secret'], {
      env: { ...cliEnv(emulator.url), TYPED: typed },
      encoding: 'utf8',
    });
    const result = JSON.parse(stdout) as { screen: string; status: number };
    expect(result.status).toBe(0);
    expect(result.screen).toContain('Value for /tty/secret (input hidden; may span lines; end with Ctrl-D):');
    expect(result.screen).toContain('stored /tty/secret (SecureString), version 1');
    expect(result.screen).not.toContain(typed);

    const ssm = new SSMClient({
      endpoint: emulator.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIAEMULATORDEMO', secretAccessKey: 'emulator-demo-secret' },
    });
    const stored = await ssm.send(new GetParameterCommand({ Name: '/tty/secret', WithDecryption: true }));
    ssm.destroy();
    expect(stored.Parameter).toMatchObject({ Type: 'SecureString', Value: typed });
  });

  it('never stores type-ahead the terminal echoed before the prompt hid input', async () => {
    const early = 'EARLY-echoed-part';
    const typed = 'TTY-CANARY-typed-at-prompt';
    const { stdout } = await promisify(execFile)('python3', ['-c', DRIVER, process.execPath, CLI, 'put', '/tty/early'], {
      env: { ...cliEnv(emulator.url), TYPED: typed, EARLY: early },
      encoding: 'utf8',
    });
    const result = JSON.parse(stdout) as { screen: string; status: number };
    expect(result.status).toBe(0);
    expect(result.screen).toContain(`ignored ${early.length} characters typed before this prompt`);
    expect(result.screen).not.toContain(typed);
    // What was on screen is not part of the secret.
    expect(await storedValue('/tty/early')).toBe(typed);
  });
});
