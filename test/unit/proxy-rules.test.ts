/** Which proxy a connection takes: the variables' precedence and NO_PROXY's matching rules (curl's and Python's). */
import { describe, expect, it } from 'vitest';
import { bypassesProxy, proxyFor, proxySettings, redactProxyUrl } from '../../src/aws/proxy.js';
import { UsageError } from '../../src/errors.js';

describe('proxySettings', () => {
  it('reads the lower-case variable first, treats an empty one as unset, and gives a bare host:port the http scheme', () => {
    const s = proxySettings({ https_proxy: 'proxy.corp:3128', HTTPS_PROXY: 'http://other:1', http_proxy: '', HTTP_PROXY: 'http://upper:8080' });
    expect(s.https?.url.href).toBe('http://proxy.corp:3128/');
    expect(s.https?.variable).toBe('https_proxy');
    expect(s.http?.url.href).toBe('http://upper:8080/');
    expect(s.http?.variable).toBe('HTTP_PROXY');
  });

  it('has no proxy when none is set, whatever NO_PROXY says', () => {
    const s = proxySettings({ NO_PROXY: 'example.com' });
    expect([s.http, s.https]).toEqual([undefined, undefined]);
  });

  it('refuses a proxy scheme it does not speak, and an unparsable URL, without quoting credentials', () => {
    expect(() => proxySettings({ HTTPS_PROXY: 'socks5://u:secret@h:1080' })).toThrow(UsageError);
    expect(() => proxySettings({ HTTPS_PROXY: 'socks5://u:secret@h:1080' })).toThrow('HTTPS_PROXY names a socks5 proxy (socks5://***:***@h:1080)');
    expect(() => proxySettings({ https_proxy: 'http://u:secret@[bad' })).toThrow(/^https_proxy is not a valid proxy URL$/);
  });

  it('redacts user and password, keeps the host and port', () => {
    expect(redactProxyUrl(new URL('http://user:p%40ss@proxy.corp:3128'))).toBe('http://***:***@proxy.corp:3128');
    expect(redactProxyUrl(new URL('https://proxy.corp'))).toBe('https://proxy.corp');
  });
});

describe('NO_PROXY', () => {
  const cases: Array<[string, string, number, boolean]> = [
    ['*', 'ssm.us-east-1.amazonaws.com', 443, true],
    ['amazonaws.com', 'ssm.us-east-1.amazonaws.com', 443, true],
    ['amazonaws.com', 'amazonaws.com', 443, true],
    ['.amazonaws.com', 'amazonaws.com', 443, true],
    ['*.amazonaws.com', 'sts.amazonaws.com', 443, true],
    ['AMAZONAWS.COM', 'ssm.us-east-1.amazonaws.com.', 443, true],
    ['zonaws.com', 'ssm.us-east-1.amazonaws.com', 443, false],
    ['ssm.us-east-1.amazonaws.com', 'sts.us-east-1.amazonaws.com', 443, false],
    ['vpce.internal:443', 'vpce.internal', 443, true],
    ['vpce.internal:8443', 'vpce.internal', 443, false],
    ['10.0.0.5', '10.0.0.5', 443, true],
    ['0.0.5', '10.0.0.5', 443, false],
    ['10.0.0.0/8', '10.1.2.3', 443, true],
    ['10.0.0.0/8', '11.1.2.3', 443, false],
    ['10.0.0.0/8', 'ten.example', 443, false],
    ['::1', '[::1]', 443, true],
    ['[::1]:4583', '::1', 4583, true],
    ['fd00::/8', 'fd12::1', 443, true],
    ['not-a-cidr/99', '10.0.0.1', 443, false],
  ];
  for (const [entry, host, port, bypass] of cases) {
    it(`${JSON.stringify(entry)} ${bypass ? 'sends' : 'does not send'} ${host}:${port} direct`, () => {
      expect(bypassesProxy(proxySettings({ NO_PROXY: entry }).noProxy, host, port)).toBe(bypass);
    });
  }

  it('takes a list separated by commas and spaces, lower-case variable first', () => {
    const s = proxySettings({ HTTPS_PROXY: 'http://p:1', no_proxy: ' a.example , b.example c.example', NO_PROXY: '*' });
    expect(s.noProxy).toEqual(['a.example', 'b.example', 'c.example']);
    expect(proxyFor(s, 'https:', 'c.example', 443)).toBeUndefined();
    expect(proxyFor(s, 'https:', 'd.example', 443)?.variable).toBe('HTTPS_PROXY');
    expect(proxyFor(s, 'http:', 'd.example', 80)).toBeUndefined();
  });
});
