/**
 * What the product's tests borrow from the emulator's: SigV4 signing of raw
 * requests, moto and the way to call it, the demo credentials and region, and
 * the environment that keeps a tool under test off the real AWS.
 */
export { signedHeaders, type SignOptions } from './sign.js';
export { CREDENTIALS, REGION, call, motoAvailable, startMoto, type Moto, type Outcome } from './conformance/harness.js';
export { DEMO } from './helpers.js';
export { isolatedAwsEnv, type CredentialSource } from './aws-env.js';
export { mulberry32 } from '../src/prng.js';
