/**
 * The local Parameter Store emulator: start it, seed it, inject faults, read
 * its counters. See README.md.
 */
import type { AddressInfo } from 'node:net';
import { FaultInjector } from './faults.js';
import { Kms } from './kms.js';
import { resolveSeed, type ResolvedSeed } from './seed.js';
import { EmulatorServer, emptyCounters } from './server.js';
import { ParameterState } from './state.js';
import { SecretStore } from './secrets.js';
import type { Counters, Faults, Seed, SignatureMode } from './types.js';
import { SsmError } from './ssm-error.js';

export type {
  Counters,
  Faults,
  ParameterType,
  Seed,
  SeedParameter,
  SeedSecret,
  SeedCredential,
  SeedKmsKey,
  SeedRole,
  AccessRule,
  SignatureMode,
} from './types.js';
export { loadSeedFile, resolveSeed, SeedError } from './seed.js';
export { DEMO_CREDENTIAL } from './types.js';
export { EmulatorError, EmulatorUsageError, type SeedProblem } from './errors.js';

export interface EmulatorOptions {
  /** 0 = any free port. @default 0 */
  port?: number;
  seed?: Seed;
  /** Override the seed's faults. */
  faults?: Partial<Faults>;
  /** Override the seed's signature mode. */
  signature?: SignatureMode;
  /** One line per request: operation, parameter names, status. Never values. */
  log?: (line: string) => void;
}

export interface RunningEmulator {
  /** `http://127.0.0.1:PORT`: use as the SDK endpoint / AWS_ENDPOINT_URL_SSM. */
  url: string;
  port: number;
  counters(): Counters;
  resetCounters(): void;
  setFaults(f: Partial<Faults>): void;
  close(): Promise<void>;
}

/** Put the seed's parameters in place: each version in order, then its labels. */
function load(seed: ResolvedSeed, state: ParameterState, kms: Kms): void {
  const modifiedBy = `arn:aws:iam::${seed.account}:user/seed`;
  for (const p of seed.parameters) {
    let key;
    if (p.type === 'SecureString') {
      const resolved = kms.resolve(p.key_id ?? 'alias/aws/ssm');
      if (resolved instanceof SsmError) throw new Error(`seed: ${p.name}: ${resolved.message}`);
      key = resolved;
    }
    for (const value of p.versions) {
      state.put(p.name, {
        type: p.type,
        value,
        ...(key ? { key, keyId: p.key_id ?? 'alias/aws/ssm', ciphertext: kms.encrypt(key, value) } : {}),
        modifiedBy,
        ...(p.description !== undefined ? { description: p.description } : {}),
        tier: p.tier,
        dataType: 'text',
      });
    }
    const stored = state.get(p.name);
    for (const [label, version] of Object.entries(p.labels)) {
      const target = stored?.versions.find((v) => v.version === version);
      if (stored && target) state.label(stored, target, [label], () => false);
    }
  }
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  const seed = resolveSeed(opts.seed);
  const state = new ParameterState();
  const kms = new Kms(seed.region, seed.account, seed.kms_keys);
  load(seed, state, kms);
  const faults = new FaultInjector({ ...seed.faults, ...opts.faults });
  const server = new EmulatorServer({
    region: seed.region,
    account: seed.account,
    signature: opts.signature ?? seed.signature,
    credentials: seed.credentials,
    roles: seed.roles,
    instanceRole: seed.instance_role,
    state,
    secrets: new SecretStore(seed.region, seed.account, seed.secrets),
    kms,
    faults,
    log: opts.log,
  });
  await new Promise<void>((resolve, reject) => {
    server.http.once('error', reject);
    // Loopback only: the emulator has no business on a network interface.
    server.http.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.http.off('error', reject);
      resolve();
    });
  });
  const port = (server.http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    counters: () => structuredClone(server.counters),
    resetCounters: () => {
      server.counters = emptyCounters();
    },
    setFaults: (f) => faults.set(f),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.releaseStalled();
        server.http.close((err) => (err ? reject(err) : resolve()));
        server.http.closeAllConnections();
      }),
  };
}
