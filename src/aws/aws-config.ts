/**
 * Settings every AWS SDK and the AWS CLI read from the environment and the
 * shared config file, where the JS SDK does not apply them to us on its own:
 *
 * - Endpoints for `--profile`: the JS SDK takes `endpoint_url` and the
 *   `services` sections from the profile AWS_PROFILE names (or `default`),
 *   whatever profile the client was given, so `--profile prod` would sign
 *   with prod's credentials and send them to another profile's endpoint. The
 *   AWS CLI uses the chosen profile's, and so do we, with the SDKs' rules.
 * - AWS_MAX_ATTEMPTS / `max_attempts` and AWS_RETRY_MODE / `retry_mode`: our
 *   own retries replace the SDK's (pacing.ts needs every throttling answer),
 *   so the SDK never reads them; they are mapped here.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { own } from '../records.js';

/** Sections of the shared config file: `default`, profile names, `services NAME`; keys of sub-properties as `ssm.endpoint_url`. */
type ConfigSections = Map<string, Map<string, string>>;

function configFilePath(env: NodeJS.ProcessEnv): string {
  return env.AWS_CONFIG_FILE || join(env.HOME || homedir(), '.aws', 'config');
}

/** The shared config file as the SDKs read it (an unreadable or missing file has no sections). */
function readConfigFile(env: NodeJS.ProcessEnv): ConfigSections {
  let text: string;
  try {
    text = readFileSync(configFilePath(env), 'utf8');
  } catch {
    return new Map();
  }
  const sections: ConfigSections = new Map();
  let section: Map<string, string> | undefined;
  let parent: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.split(/(?:^|\s)[;#]/)[0]?.trim() ?? '';
    const header = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (header) {
      const name = (header[1] ?? '').replace(/^profile\s+/, '').replace(/\s+/g, ' ');
      section = sections.get(name) ?? new Map();
      sections.set(name, section);
      parent = undefined;
      continue;
    }
    const eq = line.indexOf('=');
    if (!section || eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (value === '') {
      parent = key;
      continue;
    }
    if (parent !== undefined && raw.trimStart() === raw) parent = undefined;
    section.set(parent === undefined ? key : `${parent}.${key}`, value);
  }
  return sections;
}

function profileName(profile: string | undefined, env: NodeJS.ProcessEnv): string {
  return profile || env.AWS_PROFILE || 'default';
}

/** `true`/`false` from the environment, else from the profile, else false (the SDKs' order). */
function ignoresConfiguredEndpoints(settings: Map<string, string> | undefined, env: NodeJS.ProcessEnv): boolean {
  const fromEnv = env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv.toLowerCase() === 'true';
  return settings?.get('ignore_configured_endpoint_urls')?.toLowerCase() === 'true';
}

/**
 * The endpoint configured for `service` (`ssm`, `sts`) under `profile`, in the
 * SDKs' order: AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's
 * `services` section, the profile's `endpoint_url`; none when
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (or the profile's
 * `ignore_configured_endpoint_urls`) is true.
 */
export function configuredEndpoint(service: string, profile: string, env: NodeJS.ProcessEnv): string | undefined {
  const sections = readConfigFile(env);
  const settings = sections.get(profile);
  if (ignoresConfiguredEndpoints(settings, env)) return undefined;
  const fromEnv = own(env, `AWS_ENDPOINT_URL_${service.toUpperCase()}`) || env.AWS_ENDPOINT_URL;
  if (fromEnv) return fromEnv;
  const servicesName = settings?.get('services');
  if (servicesName !== undefined) {
    const services = sections.get(`services ${servicesName}`);
    if (!services) {
      throw new UsageError(`profile ${profile} names services ${servicesName}, which ${configFilePath(env)} does not define`, {
        hint: `add a [services ${servicesName}] section, or remove \`services = ${servicesName}\` from the profile`,
      });
    }
    const url = services.get(`${service}.endpoint_url`);
    if (url) return url;
  }
  return settings?.get('endpoint_url');
}

/** How our retries read AWS_MAX_ATTEMPTS and AWS_RETRY_MODE. */
export interface RetrySettings {
  /** Attempts per call, including the first; undefined: our defaults (pacing.ts, ssm.ts). */
  maxAttempts?: number;
}

const RETRY_MODES = new Set(['legacy', 'standard', 'adaptive']);

/**
 * AWS_MAX_ATTEMPTS (else the profile's `max_attempts`) is an attempt cap
 * like --max-attempts, which wins over it. AWS_RETRY_MODE (else
 * `retry_mode`) is checked but changes nothing: whichever mode is named, our
 * retries serve it (decorrelated jitter, and a client-side send rate once the
 * store throttles, the adaptive mode's idea) since Parameter Store's quota is
 * shared by a fleet. A value the SDKs would refuse is a usage error.
 */
export function retrySettings(profile: string | undefined, env: NodeJS.ProcessEnv): RetrySettings {
  const fromEnvOrProfile = (variable: string, key: string): { value: string; source: string } | undefined => {
    const value = own(env, variable);
    if (value) return { value: value.trim(), source: variable };
    const name = profileName(profile, env);
    const fromProfile = readConfigFile(env).get(name)?.get(key);
    return fromProfile === undefined ? undefined : { value: fromProfile, source: `${key} of profile ${name}` };
  };
  const mode = fromEnvOrProfile('AWS_RETRY_MODE', 'retry_mode');
  if (mode && !RETRY_MODES.has(mode.value)) {
    throw new UsageError(`${mode.source} must be legacy, standard or adaptive`, {
      hint: "every retry mode is served by ssm-materialize's own paced retries; --max-attempts caps them",
    });
  }
  const attempts = fromEnvOrProfile('AWS_MAX_ATTEMPTS', 'max_attempts');
  if (attempts === undefined) return {};
  if (!/^\d+$/.test(attempts.value) || Number(attempts.value) < 1) {
    throw new UsageError(`${attempts.source} must be an integer >= 1`, { hint: 'e.g. AWS_MAX_ATTEMPTS=3, or --max-attempts 3' });
  }
  return { maxAttempts: Number(attempts.value) };
}
