/** moto and the raw-request caller live with the emulator's conformance suite; kept here for the product's tests that import them from this path. */
export { CREDENTIALS, REGION, call, motoAvailable, startMoto, type Moto, type Outcome } from '@ssm-materialize/emulator/testing';
