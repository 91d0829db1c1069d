/**
 * The region from instance metadata (src/regions.ts) over real HTTP, from a
 * local stand-in for the IMDSv2 endpoint: the region becomes the host name
 * every signed call goes to (ssm.REGION.amazonaws.com), so an answer that is
 * not shaped like a region name is never used.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRegionName, regionFromInstanceMetadata, regionsToTry } from '../../src/regions.js';

let server: Server;
let endpoint: string;
let answer = 'us-west-2';

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.method === 'PUT' && req.url === '/latest/api/token') return res.end('token-1');
    if (req.url === '/latest/meta-data/placement/region' && req.headers['x-aws-ec2-metadata-token'] === 'token-1') return res.end(answer);
    res.writeHead(401).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('regions', () => {
  it('takes the region instance metadata answers, and refuses an answer not shaped like a region name', async () => {
    answer = 'us-west-2\n';
    expect(await regionFromInstanceMetadata({ AWS_EC2_METADATA_SERVICE_ENDPOINT: `${endpoint}/` })).toBe('us-west-2');
    for (const hostile of ['attacker.example#', 'us-east-1.attacker.example', 'us-east-1/../x', 'US-EAST-1', '', 'us-east-1 us-west-2']) {
      answer = hostile;
      expect(await regionFromInstanceMetadata({ AWS_EC2_METADATA_SERVICE_ENDPOINT: endpoint }), hostile).toBeUndefined();
    }
    expect(await regionFromInstanceMetadata({ AWS_EC2_METADATA_SERVICE_ENDPOINT: endpoint, AWS_EC2_METADATA_DISABLED: 'true' })).toBeUndefined();
  });

  it('knows region names of every partition, and nothing else', () => {
    for (const region of ['us-east-1', 'eu-central-2', 'ap-southeast-4', 'us-gov-west-1', 'cn-northwest-1', 'il-central-1'])
      expect(isRegionName(region), region).toBe(true);
    for (const other of ['us-east', 'useast-1', 'us-east-1a', 'us_east_1', 'x-east-1', 'us-east-1\n'])
      expect(isRegionName(other), JSON.stringify(other)).toBe(false);
  });

  it("tries --region (else the manifest's) first, then --fallback-region (else the rest of regions:)", () => {
    const manifest = { region: 'us-east-1', fallbackRegions: ['us-west-2', 'eu-west-1'] };
    expect(regionsToTry(manifest, undefined, undefined)).toEqual(['us-east-1', 'us-west-2', 'eu-west-1']);
    expect(regionsToTry(manifest, 'ca-central-1', undefined)).toEqual(['ca-central-1', 'us-west-2', 'eu-west-1']);
    expect(regionsToTry(manifest, undefined, ['eu-north-1'])).toEqual(['us-east-1', 'eu-north-1']);
    expect(regionsToTry({ region: undefined, fallbackRegions: [] }, undefined, undefined)).toEqual([undefined]);
  });
});
