/** Run any program (a released binary, npm, a deploy hook) and collect what it printed. */
import { spawn } from 'node:child_process';
import type { CliResult } from './cli.js';

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string;
}

export function runCommand(file: string, args: string[], options: RunOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: options.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    // A program that exits without reading its input (a usage error, say)
    // closes the pipe: EPIPE on our side is expected, not a test failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}
