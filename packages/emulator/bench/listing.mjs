// The emulator's cost of listing one path page by page (GetParametersByPath,
// 10 a page, as the SDK's paginator asks), for BENCHMARKS.md:
//   node bench/listing.mjs seed N > seed.json     a seed of N String parameters under /bench/
//   node bench/listing.mjs list URL               list /bench/ from the emulator at URL, print pages and count
// Run the emulator under /usr/bin/time -v between the two to read its CPU time.
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';

const [mode, arg] = process.argv.slice(2);
if (mode === 'seed') {
  const n = Number(arg);
  const parameters = Array.from({ length: n }, (_, i) => ({ name: `/bench/p${String(i).padStart(6, '0')}`, value: `v${i}` }));
  process.stdout.write(JSON.stringify({ parameters }));
} else if (mode === 'list') {
  const client = new SSMClient({
    endpoint: arg,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIAEMULATORDEMO', secretAccessKey: 'emulator-demo-secret' },
  });
  let pages = 0;
  let count = 0;
  let token;
  do {
    const page = await client.send(new GetParametersByPathCommand({ Path: '/bench', Recursive: true, NextToken: token }));
    pages += 1;
    count += page.Parameters?.length ?? 0;
    token = page.NextToken;
  } while (token);
  process.stdout.write(`${pages} pages, ${count} parameters\n`);
} else {
  process.stderr.write('usage: listing.mjs seed N | list URL\n');
  process.exitCode = 2;
}
