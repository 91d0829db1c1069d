/**
 * A fresh "instance" in a temp dir for the deployment-system tests: its own
 * /usr/local/bin, /var/www/app and /root, and the environment a deploy agent
 * gives a hook: a minimal PATH, no AWS keys, no region. Credentials and region
 * come from the emulator's instance metadata (IMDSv2), as on EC2.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';
import { CLI } from '../helpers/cli.js';

export const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');

export interface Instance {
  root: string;
  bin: string;
  appRoot: string;
  /** The PATH a deploy agent starts hooks with, plus this instance's /usr/local/bin. */
  path: string;
  /** Environment of an EC2 instance with an instance profile, pointed at the emulator. */
  env(emulatorUrl: string, extra?: Record<string, string>): NodeJS.ProcessEnv;
}

export function useInstances(): (options?: { installCli?: boolean }) => Instance {
  const roots: string[] = [];
  // Removed when the file is done, not after each test: tests may deploy to their instances concurrently.
  afterAll(() => {
    for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
  });
  return ({ installCli = true } = {}) => {
    const root = mkdtempSync(join(tmpdir(), 'ssm-mat-instance-'));
    roots.push(root);
    const bin = join(root, 'usr', 'local', 'bin');
    const appRoot = join(root, 'var', 'www', 'app');
    for (const d of [bin, appRoot, join(root, 'root')]) mkdirSync(d, { recursive: true, mode: 0o755 });
    // Installed the way `npm i -g` installs it: a link to the single-file bundle.
    if (installCli) symlinkSync(CLI, join(bin, 'ssm-materialize'));
    // The instance's Node is one the package supports (>= 22): the pinned one, ahead of this machine's own.
    const path = [bin, dirname(process.execPath), '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':');
    return {
      root,
      bin,
      appRoot,
      path,
      env: (emulatorUrl, extra = {}) => ({
        PATH: path,
        HOME: join(root, 'root'),
        LANG: 'C',
        // The instance's "AWS": the emulator's SSM endpoint and its instance metadata.
        AWS_ENDPOINT_URL_SSM: emulatorUrl,
        AWS_EC2_METADATA_SERVICE_ENDPOINT: `${emulatorUrl}/`,
        ...extra,
      }),
    };
  };
}

/** What CodeDeploy's Install step does with appspec.yml's `files: [{source: /, destination}]`. */
export function installRevision(revision: string, destination: string): void {
  cpSync(revision, destination, { recursive: true });
}
