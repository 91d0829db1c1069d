/**
 * The region an EC2 instance is in, from its instance metadata (IMDSv2),
 * for when nothing else names one. The AWS CLI and boto3 look there; the JS
 * SDK v3 does not, so without this a deploy hook on EC2 would need
 * AWS_REGION exported by hand while the credentials come from the instance.
 * Honours the SDK's own settings: AWS_EC2_METADATA_DISABLED,
 * AWS_EC2_METADATA_SERVICE_ENDPOINT and ..._ENDPOINT_MODE.
 */
const TIMEOUT_MS = 1_000;

function metadataEndpoint(env: NodeJS.ProcessEnv): string {
  const configured = env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
  if (configured) return configured.replace(/\/+$/, '');
  return env.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE === 'IPv6' ? 'http://[fd00:ec2::254]' : 'http://169.254.169.254';
}

/** The instance's region, or undefined when there is no instance metadata to ask. Never throws. */
export async function regionFromInstanceMetadata(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if ((env.AWS_EC2_METADATA_DISABLED ?? '').toLowerCase() === 'true') return undefined;
  const base = metadataEndpoint(env);
  try {
    const tokenResponse = await fetch(`${base}/latest/api/token`, {
      method: 'PUT',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!tokenResponse.ok) return undefined;
    const token = await tokenResponse.text();
    const regionResponse = await fetch(`${base}/latest/meta-data/placement/region`, {
      headers: { 'x-aws-ec2-metadata-token': token },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const region = regionResponse.ok ? (await regionResponse.text()).trim() : '';
    return /^[a-z]{2}(-[a-z]+)+-\d+$/.test(region) ? region : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A region provider for an SDK client: the SDK's own resolution (AWS_REGION,
 * the profile's `region`), then the instance's. When both find nothing, the
 * SDK's own "Region is missing" error goes on, so its usual hint applies.
 */
export function regionOrInstanceRegion(sdkDefault: () => Promise<string>, env: NodeJS.ProcessEnv = process.env): () => Promise<string> {
  let resolved: Promise<string> | undefined;
  return () =>
    (resolved ??= sdkDefault().catch(async (err: unknown) => {
      const region = await regionFromInstanceMetadata(env);
      if (region === undefined) throw err;
      return region;
    }));
}
