/**
 * The AWS implementation of ParameterStore on @aws-sdk/client-ssm: explicit
 * names 10 per GetParameters call, paths page by page, calls in parallel with
 * a bound, our own retries (pacing on throttling and decorrelated jitter:
 * see pacing.ts), one overall deadline, and every SDK error mapped to a
 * typed ToolError that names the parameters and the fix.
 */
import {
  GetParametersByPathCommand,
  GetParametersCommand,
  PutParameterCommand,
  SSMClient,
  type GetParametersByPathCommandOutput,
  type GetParametersCommandOutput,
  type Parameter,
  type PutParameterCommandOutput,
  type SSMClientConfig,
  fromNodeProviderChain,
  fromTemporaryCredentials,
} from './aws-sdk.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { AdaptiveRate, decorrelatedJitter, RETRY_BACKOFF } from './pacing.js';
import { AccessDeniedError, MissingParametersError, NoValueError, StoreCallsFailed, ToolError } from '../errors.js';
import { unnamedRegion } from '../regions.js';
import type { CallStats, GetResult, ParameterStore, ParameterType, StoredParameter } from '../store.js';
import { batchNames, matchAnswer, NAMES_PER_CALL } from './batches.js';
import { splitSelector } from '../names.js';
import { proxyAgents, type ProxySettings } from './proxy.js';
import { mapSdkError, retryKind } from './sdk-errors.js';
import { own, setOwn } from '../records.js';

export { NAMES_PER_CALL };
/** GetParametersByPath returns at most 10 per page. */
const PAGE_SIZE = 10;

export interface SsmStoreOptions {
  region?: string;
  profile?: string;
  endpoint?: string;
  /** Assume this role (with the chain's credentials) before calling SSM. */
  roleArn?: string;
  /** STS's endpoint for roleArn; none: the SDK's (AWS_ENDPOINT_URL_STS, AWS_PROFILE's config, AWS). */
  stsEndpoint?: string | undefined;
  /** Overall deadline for all calls, in milliseconds. */
  timeoutMs: number;
  /**
   * Attempts per call, including the first. Unset: 5 for server and network
   * faults, and as many as --timeout allows for throttling, so that a fleet
   * sharing one quota never fails on throttling alone.
   */
  maxAttempts?: number;
  /** Calls in flight at once. */
  concurrency: number;
  /** HTTPS_PROXY, HTTP_PROXY and NO_PROXY (proxy.ts); none: direct. */
  proxy?: ProxySettings;
  /** Told about each call, for --verbose (names and counts only, never values). */
  onCall?: (event: { operation: string; count: number; attempts: number; ms: number }) => void;
}

export class SsmStore implements ParameterStore {
  readonly stats: CallStats = { calls: {}, retries: 0, throttled: 0 };
  /** One send rate for the whole process: every call of this run shares the account's quota. */
  readonly pacing = new AdaptiveRate();
  private readonly client: SSMClient;
  private readonly deadline: AbortController;
  private readonly timer: NodeJS.Timeout;
  private readonly limit: <T>(task: () => Promise<T>) => Promise<T>;

  constructor(private readonly options: SsmStoreOptions) {
    const connectionTimeout = Math.min(3_000, options.timeoutMs);
    const config: SSMClientConfig = {
      // Retries are ours (call() below): pacing needs to see every throttling answer.
      maxAttempts: 1,
      // A stalled connection must not eat the whole deadline: time out each
      // attempt so that it is retried.
      // (throwOnRequestTimeout: without it this SDK only logs a warning.)
      // The proxy agents serve this client and the STS clients the SDK nests
      // in it (they inherit its request handler); the SDK reaches instance
      // metadata and container credentials without them, so never through a proxy.
      requestHandler: {
        connectionTimeout,
        requestTimeout: Math.min(10_000, options.timeoutMs),
        throwOnRequestTimeout: true,
        ...(options.proxy ? proxyAgents(options.proxy, connectionTimeout) : {}),
      },
    };
    if (options.profile) config.profile = options.profile;
    if (options.proxy?.http || options.proxy?.https) {
      // The SDK gives its request handler (our proxy agents) to the STS clients
      // it nests, but not to the SSO client of an sso_* profile: hand it over.
      // Instance metadata and container credentials never use it.
      // `init` is the client's resolved config (its handler already built);
      // fromTemporaryCredentials (--role-arn) calls without one, later, once this.client exists.
      config.credentialDefaultProvider = (init?: { requestHandler?: SSMClient['config']['requestHandler'] }) =>
        fromNodeProviderChain({ ...init, clientConfig: { requestHandler: init?.requestHandler ?? this.client.config.requestHandler } });
    }
    // No region named: the profile's, then the instance's (regions.ts).
    const region = options.region ?? unnamedRegion(options.profile);
    config.region = region;
    if (options.endpoint) config.endpoint = options.endpoint;
    if (options.roleArn) {
      // STS never gets --endpoint-url: that is SSM's (e.g. a VPC endpoint).
      // The SDK's STS client honours AWS_ENDPOINT_URL_STS (and
      // AWS_ENDPOINT_URL), which is how tests and the emulator point it at
      // 127.0.0.1 (test/commands/role-arn.test.ts); stsEndpoint is the one
      // --profile's config names (aws-config.ts).
      config.credentials = fromTemporaryCredentials({
        params: { RoleArn: options.roleArn, RoleSessionName: `ssm-materialize-${process.pid}`, DurationSeconds: 900 },
        clientConfig: { region, ...(options.stsEndpoint ? { endpoint: options.stsEndpoint } : {}) },
      });
    }
    this.client = new SSMClient(config);
    this.deadline = new AbortController();
    this.timer = setTimeout(() => this.deadline.abort(), options.timeoutMs);
    this.timer.unref();
    this.limit = boundedConcurrency(options.concurrency);
  }

  /** The region this client reads from (regions.ts decides; the SDK resolves a profile's on first use). */
  region(): Promise<string> {
    return this.client.config.region();
  }

  /** Release sockets and the deadline timer. */
  close(): void {
    clearTimeout(this.timer);
    this.client.destroy();
  }

  async get(names: readonly string[]): Promise<GetResult> {
    // Batches in which every answer can be told apart (batches.ts).
    const batches = batchNames(names, NAMES_PER_CALL);
    const found = new Map<string, StoredParameter>();
    const missing: string[] = [];
    // Every batch runs to its end: one batch's failure must not hide what the others answered (trust/failures.ts).
    const settled = await Promise.allSettled(batches.map((batch) => this.getBatch(batch)));
    const failed: ToolError[] = [];
    settled.forEach((result, i) => {
      const batch = batches[i] ?? [];
      if (result.status === 'rejected') return void failed.push(toolErrorOf(result.reason));
      const out = result.value;
      const answered = new Set<string>(out.InvalidParameters ?? []);
      for (const p of out.Parameters ?? []) {
        const requested = matchAnswer(batch, p);
        if (requested === undefined) continue;
        answered.add(requested);
        const { selector } = splitSelector(requested);
        // A numeric selector can be checked: a store that ignored it must not pass off another version.
        if (selector !== undefined && /^\d+$/.test(selector) && p.Version !== Number(selector)) missing.push(requested);
        else {
          const stored = toStored(p, requested);
          if (stored instanceof NoValueError) failed.push(stored);
          else found.set(requested, stored);
        }
      }
      missing.push(...(out.InvalidParameters ?? []));
      // Never silently drop a name the store neither returned nor called invalid.
      missing.push(...batch.filter((name) => !answered.has(name)));
    });
    throwIfFailed(failed, missing);
    return { found, missing };
  }

  private async getBatch(batch: string[]): Promise<GetParametersCommandOutput> {
    const fetch = (names: string[]) =>
      this.limit(() =>
        this.call<GetParametersCommandOutput>('GetParameters', names, () => new GetParametersCommand({ Names: names, WithDecryption: true }), names.length),
      );
    try {
      return await fetch(batch);
    } catch (err) {
      if (batch.length > 1 && err instanceof MissingParametersError) return this.getOneByOne(batch, fetch);
      if (batch.length === 1 || !isIamOrKmsDenial(err)) throw err;
      // One denied name fails the whole call, and a KMS denial does not say
      // which parameter it was about. Only on this failure path, ask name by
      // name so that the error names exactly the parameters to fix.
      const singles = await Promise.allSettled(batch.map((name) => fetch([name])));
      const denied = singles.flatMap((r, i) =>
        r.status === 'rejected' && isIamOrKmsDenial(r.reason) ? [{ name: batch[i] ?? '', error: r.reason as AccessDeniedError }] : [],
      );
      if (denied.length === 0) throw err;
      throw new AccessDeniedError(
        `access denied for ${denied.length} of ${batch.length} parameters in one GetParameters call:\n${denied.map((d) => `  ${d.name}: ${awsMessage(d.error.message, d.name)}`).join('\n')}`,
        denied.map((d) => d.name),
        { hint: mergeDenialHints(denied.map((d) => d.error.hint ?? '')), cause: err },
      );
    }
  }

  /**
   * GetParameters answers a missing name in InvalidParameters, but moto
   * fails the whole call with ParameterNotFound when a Secrets Manager
   * reference is missing. Only then, ask name by name, so that exactly the
   * missing names are reported and the others are still read.
   */
  private async getOneByOne(batch: string[], fetch: (names: string[]) => Promise<GetParametersCommandOutput>): Promise<GetParametersCommandOutput> {
    const settled = await Promise.allSettled(
      batch.map((name) =>
        fetch([name]).catch((err: unknown) => {
          if (err instanceof MissingParametersError) return { Parameters: [], InvalidParameters: [name], $metadata: {} };
          throw err;
        }),
      ),
    );
    const singles = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = settled.flatMap((r) => (r.status === 'rejected' ? [toolErrorOf(r.reason)] : []));
    throwIfFailed(
      failed,
      singles.flatMap((s) => s.InvalidParameters ?? []),
    );
    return { Parameters: singles.flatMap((s) => s.Parameters ?? []), InvalidParameters: singles.flatMap((s) => s.InvalidParameters ?? []), $metadata: {} };
  }

  async list(path: string, recursive: boolean): Promise<StoredParameter[]> {
    const all: StoredParameter[] = [];
    let token: string | undefined;
    // A page may be empty and still carry a NextToken: loop until there is none.
    do {
      const page = await this.limit(() =>
        this.call<GetParametersByPathCommandOutput>(
          'GetParametersByPath',
          [path],
          () => new GetParametersByPathCommand({ Path: path, Recursive: recursive, WithDecryption: true, MaxResults: PAGE_SIZE, NextToken: token }),
          1,
        ),
      );
      for (const p of page.Parameters ?? []) {
        const stored = toStored(p, p.Name ?? '');
        if (stored instanceof NoValueError) throw stored;
        all.push(stored);
      }
      token = page.NextToken;
    } while (token);
    return all;
  }

  /** Store one value (for `put`); the value travels only in the request body. */
  async put(name: string, value: string, type: ParameterType, keyId: string | undefined, overwrite: boolean): Promise<number> {
    const out = await this.call<PutParameterCommandOutput>(
      'PutParameter',
      [name],
      () => new PutParameterCommand({ Name: name, Value: value, Type: type, KeyId: keyId, Overwrite: overwrite }),
      1,
    );
    return out.Version ?? 0;
  }

  /**
   * One logical call: paced, retried on throttling and transient faults with
   * decorrelated jitter, within the attempt budget and the overall deadline.
   */
  private async call<Out extends object>(
    operation: string,
    names: string[],
    command: () => GetParametersCommand | GetParametersByPathCommand | PutParameterCommand,
    count: number,
  ): Promise<Out> {
    const started = Date.now();
    const signal = this.deadline.signal;
    setOwn(this.stats.calls, operation, (own(this.stats.calls, operation) ?? 0) + 1);
    /** What went wrong before: when the deadline strikes during a wait, that is the story to tell. */
    let previous: unknown;
    let wait = 0;
    for (let attempt = 1; ; attempt++) {
      let sentAt = performance.now();
      try {
        // Short naps: the allowed rate grows while we wait.
        for (let pause = this.pacing.trySend(); pause > 0; pause = this.pacing.trySend()) await sleep(Math.min(pause, 50), undefined, { signal });
        sentAt = performance.now();
        // The union of commands defeats send()'s overloads; each caller names its output type.
        const out = (await this.client.send(command() as GetParametersCommand, { abortSignal: signal })) as unknown as Out;
        this.options.onCall?.({ operation, count, attempts: attempt, ms: Date.now() - started });
        return out;
      } catch (err) {
        if (signal.aborted) throw mapSdkError(previous ?? err, operation, names, this.options.timeoutMs);
        const kind = retryKind(err);
        if (kind === 'throttled') {
          this.stats.throttled++;
          this.pacing.throttled(sentAt);
        }
        const budget = this.options.maxAttempts ?? (kind === 'throttled' ? Infinity : DEFAULT_FAULT_ATTEMPTS);
        if (kind === undefined || attempt >= budget) throw mapSdkError(err, operation, names);
        previous = err;
        this.stats.retries++;
        wait = decorrelatedJitter(wait, RETRY_BACKOFF);
        try {
          await sleep(wait, undefined, { signal });
        } catch {
          throw mapSdkError(err, operation, names, this.options.timeoutMs);
        }
      }
    }
  }
}

/** Attempts for server and network faults when --max-attempts is not given. */
const DEFAULT_FAULT_ATTEMPTS = 5;

/** A store error as a ToolError; anything else is a bug, thrown again as it is. */
function toolErrorOf(err: unknown): ToolError {
  if (err instanceof ToolError) return err;
  throw err;
}

/**
 * One failed call alone is thrown as it is; several, or one beside names
 * answered missing, together (StoreCallsFailed), for the failure decision.
 */
function throwIfFailed(failed: ToolError[], missing: string[]): void {
  if (failed.length === 0) return;
  if (failed.length === 1 && missing.length === 0) throw failed[0];
  throw new StoreCallsFailed(
    failed.flatMap((e) => (e instanceof StoreCallsFailed ? e.errors : [e])),
    [...missing, ...failed.flatMap((e) => (e instanceof StoreCallsFailed ? e.missing : []))],
  );
}

/**
 * One answered parameter as stored; an answer without a `Value` is never an
 * empty value. The one answer without one that is well defined is a binary
 * Secrets Manager secret whose `SourceResult` (the secret's GetSecretValue
 * answer, per AWS's documentation of these references) carries
 * `SecretBinary`, base64 on the wire: those bytes. Anything else: refused by
 * name (NoValueError).
 */
function toStored(p: Parameter, name: string): StoredParameter | NoValueError {
  const stored = { name, type: p.Type ?? 'String', version: p.Version ?? 0 };
  if (typeof p.Value === 'string') return { ...stored, value: p.Value };
  const binary = secretBinary(p.SourceResult);
  return binary ? { ...stored, value: binary.toString('base64'), binary } : new NoValueError([name]);
}

function secretBinary(sourceResult: string | undefined): Buffer | undefined {
  if (sourceResult === undefined) return undefined;
  try {
    const field = (JSON.parse(sourceResult) as { SecretBinary?: unknown } | null)?.SecretBinary;
    if (typeof field !== 'string' || field === '') return undefined;
    // Node's decoder skips what it does not know: only canonical base64 is bytes, not garbage.
    const bytes = Buffer.from(field, 'base64');
    return bytes.toString('base64') === field ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One sentence per fix: IAM denials of the same action share one "allow
 * ACTION on ARN, ARN ..." hint instead of repeating it per parameter; other
 * hints (KMS) are kept once each.
 */
export function mergeDenialHints(hints: readonly string[]): string {
  const arnsByFix = new Map<string, { action: string; tail: string; arns: string[] }>();
  const others: string[] = [];
  for (const hint of hints) {
    const m = /^allow (\S+) on (\S+) (in the role's IAM policy[\s\S]*)$/.exec(hint);
    if (!m) {
      if (hint) others.push(hint);
      continue;
    }
    const [, action = '', arn = '', tail = ''] = m;
    const fix = arnsByFix.get(`${action} ${tail}`) ?? { action, tail, arns: [] };
    if (!fix.arns.includes(arn)) fix.arns.push(arn);
    arnsByFix.set(`${action} ${tail}`, fix);
  }
  const merged = [...arnsByFix.values()].map((f) => `allow ${f.action} on ${f.arns.join(', ')} ${f.tail}`);
  return [...new Set([...merged, ...others])].join('; ');
}

/** The service's own words from a mapped message ("... for NAME: <AWS message>"). */
function awsMessage(mapped: string, name: string): string {
  const marker = `for ${name}: `;
  const at = mapped.indexOf(marker);
  return at < 0 ? mapped : mapped.slice(at + marker.length);
}

/** An IAM or KMS "no" (as opposed to bad or missing credentials). */
function isIamOrKmsDenial(err: unknown): boolean {
  return err instanceof AccessDeniedError && (err.cause as { name?: string } | undefined)?.name === 'AccessDeniedException';
}

/** A tiny semaphore: at most `n` tasks run at once, the rest queue in order. */
export function boundedConcurrency(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const queue: Array<() => void> = [];
  const next = (): void => {
    running--;
    queue.shift()?.();
  };
  return <T>(task: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const start = (): void => {
        running++;
        task().then(resolve, reject).finally(next);
      };
      if (running < n) start();
      else queue.push(start);
    });
}
