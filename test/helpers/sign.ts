/** SigV4 signing of raw requests lives with the emulator's tests; kept here for the product's tests that import it from this path. */
export { signedHeaders, type SignOptions } from '@ssm-materialize/emulator/testing';
