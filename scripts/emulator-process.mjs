// Start `ssm-materialize emulator` (or, with `command` [], the emulator
// package's own `ssm-emulator`) as a child process on a free port and
// resolve with its URL once it listens (for the demo and the benchmark).
import { spawn } from 'node:child_process';

export function startEmulatorProcess(cli, seedFile, extraArgs = [], command = ['emulator']) {
  const child = spawn(process.execPath, [cli, ...command, '--port', '0', '--seed', seedFile, ...extraArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error('emulator did not start within 10 s')), 10_000);
    timer.unref();
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      const match = /http:\/\/127\.0\.0\.1:\d+/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[0], stop: () => child.kill('SIGTERM') });
      }
    });
    child.on('exit', (code) => reject(new Error(`emulator exited (${code}) before listening:\n${seen}`)));
  });
}
