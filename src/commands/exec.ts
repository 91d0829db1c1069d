/**
 * `exec`: run a command with the values in its environment; nothing is
 * written to disk. The container-entrypoint mode: secrets stay out of image
 * layers and off the file system.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { ManifestError, UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import type { RenderedOutput } from '../run.js';
import { getFormat } from '../formats/index.js';
import { fetchAndRender, type ManifestArgs } from './common.js';

export interface ExecArgs extends ManifestArgs {
  output?: string[];
  command: string[];
}

export async function execCommand(args: ExecArgs, env: NodeJS.ProcessEnv, log: Logger): Promise<number> {
  if (args.command.length === 0) throw new UsageError('exec needs a command after --, e.g. ssm-materialize exec -m FILE -- node server.js');
  const { rendered } = await fetchAndRender(args, env, log);
  const chosen = chooseOutputs(rendered, args.output);
  const values = environmentFrom(chosen);
  log.detail('exec', { command: args.command[0], keys: Object.keys(values).length }, `exec ${args.command[0]} with ${Object.keys(values).length} keys`);
  return runChild(args.command, { ...env, ...values });
}

function chooseOutputs(rendered: RenderedOutput[], wanted: string[] | undefined): RenderedOutput[] {
  if (!wanted?.length) return rendered;
  const chosen = rendered.filter((r) => wanted.some((w) => r.spec.path === w || r.spec.path.endsWith(`/${w}`)));
  const unknown = wanted.filter((w) => !rendered.some((r) => r.spec.path === w || r.spec.path.endsWith(`/${w}`)));
  if (unknown.length) throw new UsageError(`--output ${unknown.join(', ')} matches no output path in the manifest (outputs: ${rendered.map((r) => r.spec.path).join(', ')})`);
  return chosen;
}

/**
 * Flatten the chosen outputs to one environment, through each format's own
 * parser so that exactly what the file would hold is what the child gets.
 * A key with different values in two outputs is an error, not a guess.
 */
function environmentFrom(outputs: RenderedOutput[]): Record<string, string> {
  // Maps, not plain objects: keys such as `constructor` or `toString` are
  // ordinary names here, not inherited members that look like earlier keys.
  const values = new Map<string, string>();
  const from = new Map<string, string>();
  const conflicts: string[] = [];
  for (const out of outputs) {
    const parsed = out.spec.format === 'template' ? undefined : getFormat(out.spec.format).parse(out.content, { outputPath: out.spec.path });
    if (!parsed) throw new UsageError(`${out.spec.path}: format ${out.spec.format} has no key/value form for exec; pick other outputs with --output`);
    for (const [key, value] of Object.entries(parsed)) {
      if (values.has(key) && values.get(key) !== value) conflicts.push(`key ${key} differs between ${from.get(key)} and ${out.spec.path}`);
      values.set(key, value);
      from.set(key, out.spec.path);
    }
  }
  if (conflicts.length) {
    throw new ManifestError(conflicts.map((message) => ({ file: outputs[0]?.spec.path ?? '', line: 0, message })), { hint: 'choose outputs with --output PATH' });
  }
  return Object.fromEntries(values);
}

/** Run the child with inherited stdio, forward signals, return its exit code (128+n when killed). */
function runChild(command: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const [file, ...rest] = command as [string, ...string[]];
    const child = spawn(file, rest, { env, stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const).map((s) => [s, forward(s)] as const);
    for (const [s, h] of handlers) process.on(s, h);
    const done = (code: number) => {
      for (const [s, h] of handlers) process.off(s, h);
      resolve(code);
    };
    child.on('error', (err) => {
      process.stderr.write(`ssm-materialize: cannot run ${file}: ${(err as NodeJS.ErrnoException).code ?? err.message}\n`);
      done((err as NodeJS.ErrnoException).code === 'ENOENT' ? 127 : 126);
    });
    child.on('exit', (code, signal) => done(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
  });
}
