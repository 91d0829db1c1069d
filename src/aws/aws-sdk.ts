/**
 * Every part of the AWS SDK the tool uses, and nothing else. scripts/bundle.mjs
 * bundles this module on its own before the CLI bundle: esbuild does not
 * tree-shake packages reached through an `import()` (src/aws/ssm.ts is loaded
 * lazily), so without this step the bundle carried all of client-ssm's 150
 * operations and every credential provider. Import the SDK through here only.
 */
export { GetParametersByPathCommand, GetParametersCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
export type { GetParametersByPathCommandOutput, GetParametersCommandOutput, Parameter, PutParameterCommandOutput, SSMClientConfig } from '@aws-sdk/client-ssm';
export { fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
