/**
 * The two servers under comparison and one way to call them: raw AWS JSON
 * 1.1 requests, SigV4-signed with the emulator's demo credentials (moto
 * accepts any signature), so status, __type and every field are visible
 * exactly as sent.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { signedHeaders } from '../sign.js';

export const REGION = 'us-east-1';
export const CREDENTIALS = { accessKeyId: 'AKIAEMULATORDEMO', secretAccessKey: 'emulator-demo-secret' };

export interface Outcome {
  status: number;
  body: Record<string, unknown>;
}

export async function call(endpoint: string, op: string, body: unknown): Promise<Outcome> {
  const text = JSON.stringify(body);
  const headers = await signedHeaders(endpoint, {
    service: 'ssm',
    region: REGION,
    credentials: CREDENTIALS,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AmazonSSM.${op}` },
    body: text,
  });
  const res = await fetch(`${endpoint}/`, { method: 'POST', headers, body: text });
  const raw = await res.text();
  try {
    return { status: res.status, body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {} };
  } catch {
    // moto answers its own crashes with an HTML page.
    return { status: res.status, body: { notJson: raw.slice(0, 200) } };
  }
}

// --- moto --------------------------------------------------------------------

/**
 * Whether moto's server module is installed, found without importing it:
 * importing moto costs a second of CPU, and startMoto() imports it anyway
 * (an installed but broken moto fails there, loudly).
 */
export function motoAvailable(): boolean {
  const script = [
    'import importlib.machinery, os, sys',
    "spec = importlib.machinery.PathFinder.find_spec('moto')",
    "sys.exit(0 if spec and any(os.path.isfile(os.path.join(d, 'server.py')) for d in (spec.submodule_search_locations or [])) else 1)",
  ].join('\n');
  return spawnSync('python3', ['-c', script], { stdio: 'ignore' }).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto exited with code ${child.exitCode} before listening`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto did not listen on port ${port} within ${timeoutMs} ms`);
}

export interface Moto {
  url: string;
  /** Forget every parameter (moto's own reset endpoint), so scenarios cannot disturb each other. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** `python3 -m moto.server -H 127.0.0.1 -p PORT`, ready to answer. */
export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr = (stderr + String(d)).slice(-4000)));
  try {
    // Generous: moto imports for seconds of CPU, and a shared CI machine may be busy (a safety net, not a speed check).
    await waitForPort(port, child, 60_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    reset: async () => {
      const res = await fetch(`http://127.0.0.1:${port}/moto-api/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`moto reset failed: ${res.status}`);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
