/**
 * `put`: store one value. The value comes from stdin or a no-echo prompt,
 * never from argv: `aws ssm put-parameter --value` leaves secrets in shell
 * history and in every process listing.
 */
import { UnrepresentableValueError, UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import { baseName, checkParameterName, isArnName, isSecretReference, keyForPathParameter } from '../names.js';
import type { ParameterType } from '../store.js';
import { openAwsStore, type StoreArgs } from './common.js';

export interface PutArgs extends StoreArgs {
  name: string;
  /** Words after the name: a value typed on the command line, refused unread. */
  value?: string[] | undefined;
  /** `-m MANIFEST`: warn before storing a value an output of this manifest cannot write. */
  manifest?: string;
  type: ParameterType;
  'kms-key'?: string | undefined;
  overwrite: boolean;
  'keep-trailing-newline': boolean;
}

export interface PutIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => void };
  prompt: (text: string) => void;
}

export async function putCommand(args: PutArgs, io: PutIo, log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const problem = checkParameterName(args.name);
  if (problem) throw new UsageError(problem);
  // Readable names that are not ours to write: checked before any input is read.
  if (isSecretReference(args.name))
    throw new UsageError(`${args.name} is a Secrets Manager reference: store the secret with Secrets Manager (aws secretsmanager put-secret-value)`);
  if (isArnName(args.name)) throw new UsageError(`put takes the parameter's name, not its ARN: a shared parameter is written by its owner's account`);
  // Counted, never shown: the word is most likely the secret itself.
  if (args.value?.length) {
    throw new UsageError(
      `put takes the value from standard input or a hidden prompt, never from the command line: ${args.value.length} word${args.value.length === 1 ? '' : 's'} after the name, not shown and not stored`,
      {
        hint: `run \`ssm-materialize put ${args.name}\` and paste the value at the prompt (end with Ctrl-D), or pipe it in; the value is now in your shell history: remove it there, and rotate it if others can read that history`,
      },
    );
  }
  if (args['kms-key'] && args.type !== 'SecureString') throw new UsageError('--kms-key only applies to --type SecureString');
  let value = io.stdin.isTTY ? await promptHidden(io, `Value for ${args.name} (input hidden; may span lines; end with Ctrl-D): `) : await readAll(io.stdin);
  // `echo secret | ssm-materialize put` must store "secret", not "secret\n".
  if (!args['keep-trailing-newline']) value = value.replace(/\r?\n$/, '');
  if (value === '') throw new UsageError('empty value: Parameter Store does not store empty values');
  if (args.manifest !== undefined) await warnUnwritable(args.name, value, args.manifest, env, log);
  const store = await openAwsStore(args, args.region, log);
  try {
    const version = await store.put(args.name, value, args.type, args['kms-key'], args.overwrite);
    log.result(
      'put',
      { name: args.name, type: args.type, version },
      `stored ${args.name} (${args.type}${args['kms-key'] ? `, ${args['kms-key']}` : ''}), version ${version}`,
    );
    return 0;
  } finally {
    store.close();
  }
}

/**
 * Before the value is stored: which outputs of the manifest read this name
 * (under `values`, or below a `paths` entry), and which of them could not
 * write the value under its key (a value the .env format cannot quote, for
 * one). A warning per output, naming the output, format and key, never the
 * value; the value is still stored: `exec` and other formats can use it.
 */
async function warnUnwritable(name: string, value: string, manifestFile: string, env: NodeJS.ProcessEnv, log: Logger): Promise<void> {
  // Loaded only with -m: a plain put pays for no manifest reader or format.
  const [{ loadManifest }, { renderOne }] = await Promise.all([import('../manifest.js'), import('../render.js')]);
  for (const spec of loadManifest(manifestFile, env).outputs) {
    // A template renders all of its placeholders at once: one value alone says nothing about it.
    if (spec.template !== undefined) continue;
    const keys = [
      ...spec.values.filter((v) => !v.json && baseName(v.parameter) === name).map((v) => v.key),
      ...spec.paths.filter((p) => isUnder(name, p.path, p.recursive)).map((p) => keyForPathParameter(p.path, name)),
    ];
    for (const key of new Set(keys)) {
      try {
        renderOne(spec, [[key, value]]);
      } catch (err) {
        if (!(err instanceof UnrepresentableValueError)) throw err;
        log.warn(
          'unwritable_value',
          { name, output: spec.path, format: spec.format, key },
          `${spec.path} (${spec.format}) cannot write this value of ${name} as ${key}: ${err.message.replace(/^[^:]*: cannot represent the value of [^:]*: /, '')}; \`write\` will refuse it (exit 6) until it changes (docs/formats.md: ExcludeCharacters for rotated passwords)`,
        );
      }
    }
  }
}

function isUnder(name: string, path: string, recursive: boolean): boolean {
  const base = path === '/' ? '/' : `${path}/`;
  return name.startsWith(base) && (recursive || !name.slice(base.length).includes('/'));
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Read a value from a TTY in raw mode, echoing nothing, until Ctrl-D.
 *
 * Not until Enter: a pasted PEM key or JSON spans lines, and a prompt that
 * stopped at the first newline stored only the first line and left the
 * rest on the terminal, where the user's shell read it as commands. Enter
 * is a line break in the value (the final one is trimmed like stdin's).
 * What arrives after Ctrl-D within the same burst is read and dropped, and
 * the value is refused, so nothing is left for the shell and nothing half
 * of a paste is stored.
 *
 * Characters typed before no-echo took effect (while node was starting)
 * were already echoed by the terminal: no program can take that back. What
 * it can do is never store them: whatever is already waiting when the
 * prompt hides input is discarded, and the user is told to type the value
 * at the prompt, so a secret is never partly visible on the screen.
 */
async function promptHidden(io: PutIo, text: string): Promise<string> {
  const stdin = io.stdin;
  // Raw mode (no echo) before the prompt: anything typed right after the
  // prompt appears must already be hidden.
  stdin.setRawMode?.(true);
  const early = await drainTypeAhead(stdin);
  if (early > 0)
    io.prompt(`(ignored ${early} character${early === 1 ? '' : 's'} typed before this prompt: the terminal may have shown them; type the value now)\n`);
  io.prompt(text);
  const typed = await readUntilEndOfInput(stdin);
  // Whatever came after Ctrl-D (the tail of a paste) is consumed here, not by the shell.
  const after = typed.after + (await drainTypeAhead(stdin));
  stdin.setRawMode?.(false);
  io.prompt('\n');
  if (typed.cancelled) throw new UsageError('cancelled');
  if (after > 0) {
    throw new UsageError(`${after} character${after === 1 ? '' : 's'} arrived after Ctrl-D: dropped, and nothing stored (the value may be incomplete)`, {
      hint: 'paste the value, then press Ctrl-D once at the end',
    });
  }
  return typed.value;
}

/** The characters up to Ctrl-D (or Ctrl-C), with Enter as a line break and Backspace applied; counts what followed in the same chunk. */
function readUntilEndOfInput(stdin: PutIo['stdin']): Promise<{ value: string; cancelled: boolean; after: number }> {
  return new Promise((resolve) => {
    let value = '';
    let lastWasCr = false;
    const onData = (chunk: Buffer | string) => {
      const chars = [...chunk.toString()];
      for (let i = 0; i < chars.length; i++) {
        const ch = chars[i]!;
        if (ch === '\u0004' || ch === '\u0003') return finish(value, ch === '\u0003', chars.length - i - 1);
        // Raw mode delivers Enter as CR; a pasted CRLF is one line break.
        if (ch === '\n' && lastWasCr) {
          lastWasCr = false;
          continue;
        }
        lastWasCr = ch === '\r';
        if (ch === '\r' || ch === '\n') value += '\n';
        else if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else value += ch;
      }
    };
    const finish = (result: string, cancelled: boolean, after: number) => {
      stdin.off('data', onData);
      stdin.pause();
      resolve({ value: result, cancelled, after });
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

/** Read and drop what is already waiting on the terminal; returns how many characters. */
async function drainTypeAhead(stdin: PutIo['stdin']): Promise<number> {
  let count = 0;
  const onData = (chunk: Buffer | string) => {
    count += [...chunk.toString()].length;
  };
  stdin.on('data', onData);
  stdin.resume();
  // Input already buffered is delivered in the next poll phase; a short
  // grace period covers a busy event loop. Nothing typed later is dropped
  // except within this window, before the prompt is even shown.
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, 25));
  stdin.off('data', onData);
  stdin.pause();
  return count;
}
