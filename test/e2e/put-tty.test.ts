/**
 * `put` on a terminal: the value is typed at a hidden prompt and never
 * echoed. A real pseudo-terminal comes from python3's pty module.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
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
read(10, b'(input hidden): ')
os.write(fd, os.environ['TYPED'].encode() + b'\\r')
read(10, b'version')
_, status = os.waitpid(pid, 0)
print(json.dumps({'screen': out.decode('utf8', 'replace'), 'status': os.waitstatus_to_exitcode(status)}))
`;

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

describe('put on a TTY', () => {
  it('prompts without echo and stores what was typed', async () => {
    const typed = 'TTY-CANARY-s3cr3t';
    // Asynchronously: the emulator runs in this process and must keep answering.
    const { stdout } = await promisify(execFile)('python3', ['-c', DRIVER, process.execPath, CLI, 'put', '/tty/secret'], {
      env: { ...cliEnv(emulator.url), TYPED: typed },
      encoding: 'utf8',
    });
    const result = JSON.parse(stdout) as { screen: string; status: number };
    expect(result.status).toBe(0);
    expect(result.screen).toContain('Value for /tty/secret (input hidden):');
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
