/**
 * Which AWS region a run reads from, in one place. The order is the AWS CLI's,
 * plus what the SDK for JavaScript leaves out:
 *
 *   --region -> the manifest's `region:` (or first of `regions:`)
 *   -> AWS_REGION -> AWS_DEFAULT_REGION -> the profile's `region`
 *   -> the EC2 instance's own region (instance metadata, IMDSv2)
 *
 * then, when Parameter Store in that region is unavailable, each fallback
 * region in turn (`--fallback-region`, else the rest of `regions:`). The
 * pipeline returns the region it read from, so that a second look in the
 * same run (`plan --locked`) asks the same region.
 */
/** An AWS region name (us-east-1, us-gov-west-1, ap-southeast-2), as a pattern other patterns embed (an ARN's region field). */
export const REGION_PATTERN = String.raw`[a-z]{2}(?:-[a-z]+)+-\d+`;
const REGION_NAME = new RegExp(`^${REGION_PATTERN}$`);

/** Whether `text` is shaped like an AWS region name: the one check for flags, manifests and instance metadata. */
export function isRegionName(text: string): boolean {
  return REGION_NAME.test(text);
}

/** The regions of a manifest: `region:`, or `regions:` (its first, then its fallbacks). */
export interface ManifestRegions {
  region?: string | undefined;
  fallbackRegions: string[];
}

/**
 * The regions a run tries, in order: the flag or the manifest's first (undefined:
 * the environment, the profile or the instance decides), then the fallbacks.
 */
export function regionsToTry(manifest: ManifestRegions, flag: string | undefined, fallbackFlags: string[] | undefined): Array<string | undefined> {
  return [firstRegion(manifest, flag), ...(fallbackFlags ?? manifest.fallbackRegions)];
}

/** The region read first: `--region`, else the manifest's. */
export function firstRegion(manifest: ManifestRegions, flag: string | undefined): string | undefined {
  return flag ?? manifest.region;
}

/**
 * The region named before the SDK is asked: the one the run chose (flag,
 * manifest or fallback), then AWS_REGION, then AWS_DEFAULT_REGION. Undefined
 * leaves the profile and the instance to `unnamedRegion`.
 */
export function namedRegion(chosen: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  return chosen ?? (env.AWS_REGION || undefined) ?? (env.AWS_DEFAULT_REGION || undefined);
}

/**
 * Every region a run of this manifest may read from: the one given, the
 * `--fallback-region`s, and every region of the manifest's `regions:`. A
 * fallback region left out of the policy would be denied during exactly the
 * outage it exists for, so `--region R` adds R; it never narrows the list.
 */
export function regionsMayRead(manifest: ManifestRegions, region: string, fallbackFlags: string[] | undefined): string[] {
  const listed = [manifest.region, ...manifest.fallbackRegions].filter((r): r is string => r !== undefined);
  return [...new Set([region, ...(fallbackFlags ?? []), ...listed])];
}

/**
 * A region provider for an SDK client when nothing names a region: the SDK's
 * own resolution (a client built without one reads AWS_REGION and the
 * profile's `region`), then the instance's. When both find nothing, the SDK's
 * own "Region is missing" error goes on, so its usual hint applies.
 */
export function unnamedRegion(profile: string | undefined, env: NodeJS.ProcessEnv = process.env): () => Promise<string> {
  let resolved: Promise<string> | undefined;
  return () =>
    (resolved ??= sdkRegion(profile).catch(async (err: unknown) => {
      const region = await regionFromInstanceMetadata(env);
      if (region === undefined) throw err;
      return region;
    }));
}

/** The SDK's own region for this profile (loaded here, on first use: offline commands never load the SDK). */
async function sdkRegion(profile: string | undefined): Promise<string> {
  const { SSMClient } = await import('./aws/aws-sdk.js');
  const client = new SSMClient(profile ? { profile } : {});
  try {
    return await client.config.region();
  } finally {
    client.destroy();
  }
}

const INSTANCE_METADATA_TIMEOUT_MS = 1_000;

function metadataEndpoint(env: NodeJS.ProcessEnv): string {
  const configured = env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
  if (configured) return configured.replace(/\/+$/, '');
  return env.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE === 'IPv6' ? 'http://[fd00:ec2::254]' : 'http://169.254.169.254';
}

/**
 * The instance's region, or undefined when there is no instance metadata to
 * ask; never throws. The AWS CLI and boto3 look there; the JS SDK v3 does not,
 * so without this a deploy hook on EC2 would need AWS_REGION exported by hand
 * while the credentials come from the instance. Honours the SDK's own
 * settings: AWS_EC2_METADATA_DISABLED, AWS_EC2_METADATA_SERVICE_ENDPOINT and
 * ..._ENDPOINT_MODE.
 */
export async function regionFromInstanceMetadata(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if ((env.AWS_EC2_METADATA_DISABLED ?? '').toLowerCase() === 'true') return undefined;
  const base = metadataEndpoint(env);
  try {
    const tokenResponse = await fetch(`${base}/latest/api/token`, {
      method: 'PUT',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' },
      signal: AbortSignal.timeout(INSTANCE_METADATA_TIMEOUT_MS),
    });
    if (!tokenResponse.ok) return undefined;
    const token = await tokenResponse.text();
    const regionResponse = await fetch(`${base}/latest/meta-data/placement/region`, {
      headers: { 'x-aws-ec2-metadata-token': token },
      signal: AbortSignal.timeout(INSTANCE_METADATA_TIMEOUT_MS),
    });
    const region = regionResponse.ok ? (await regionResponse.text()).trim() : '';
    return isRegionName(region) ? region : undefined;
  } catch {
    return undefined;
  }
}
