// `npm run build` in this package: dist/ssm-emulator.cjs, the bin.
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bundleEmulatorBin } from './bundle.mjs';

const dist = join(import.meta.dirname, '..', 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist);
const bin = join(dist, 'ssm-emulator.cjs');
await bundleEmulatorBin(bin);
chmodSync(bin, 0o755);
