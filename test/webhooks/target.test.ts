import { describe, expect, it } from 'vitest';
import { addressRefusal, resolveTarget } from '../../src/webhooks/target.js';
import { redactedUrl, urlFor } from '../../src/webhooks/url.js';

describe('webhook target addresses', () => {
  it('refuses private, loopback, link-local, metadata, unspecified and CGNAT addresses, in every form', () => {
    const refused: [string, string][] = [
      ['10.1.2.3', 'a private address'],
      ['172.16.0.1', 'a private address'],
      ['172.31.255.255', 'a private address'],
      ['192.168.1.10', 'a private address'],
      ['fc00::1', 'a private (unique local) address'],
      ['fdab:cdef::1', 'a private (unique local) address'],
      ['127.0.0.1', 'a loopback address'],
      ['127.255.0.9', 'a loopback address'],
      ['::1', 'a loopback address'],
      ['169.254.1.1', 'a link-local address'],
      ['fe80::1', 'a link-local address'],
      ['169.254.169.254', 'the cloud metadata address'],
      ['fd00:ec2::254', 'the cloud metadata address'],
      ['0.0.0.0', 'an unspecified address'],
      ['::', 'an unspecified address'],
      ['100.64.0.1', 'a shared (CGNAT) address'],
      ['100.127.255.254', 'a shared (CGNAT) address'],
      // IPv4-mapped IPv6, in both spellings: judged as the IPv4 address they reach
      ['::ffff:127.0.0.1', 'a loopback address'],
      ['::ffff:a01:203', 'a private address'],
      ['::ffff:169.254.169.254', 'the cloud metadata address'],
      // IPv6 forms that carry an IPv4 address for a translator
      ['64:ff9b::a00:1', 'a NAT64 address'],
      ['2002:a00:1::1', 'a 6to4 address'],
      ['224.0.0.1', 'a multicast address'],
      ['not-an-ip', 'not an IP address'],
    ];
    for (const [address, why] of refused) expect(addressRefusal(address, false), address).toBe(why);
    for (const address of ['93.184.215.14', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::6810:84e5', '::ffff:8.8.8.8']) {
      expect(addressRefusal(address, false), address).toBeNull();
    }
  });

  it('allows private targets when the operator does, but never the metadata service', () => {
    for (const address of ['10.1.2.3', '127.0.0.1', '::1', '169.254.1.1', '100.64.0.1', 'fd12::1']) expect(addressRefusal(address, true), address).toBeNull();
    for (const address of ['169.254.169.254', '::ffff:169.254.169.254', 'fd00:ec2::254']) expect(addressRefusal(address, true), address).toBe('the cloud metadata address');
  });

  it('resolves names and checks every address, naming the host but not the path or query', async () => {
    const localhost = await resolveTarget(new URL('http://localhost:9/hook?token=s3cret'), false);
    expect(localhost).toEqual({ ok: false, refused: true, reason: 'the host localhost resolves to a loopback address; webhooks may not target it unless an operator sets TAGFUSION_WEBHOOK_ALLOW_PRIVATE=1' });
    expect(await resolveTarget(new URL('http://[::ffff:7f00:1]/x'), false)).toMatchObject({ refused: true, reason: expect.stringMatching(/^::ffff:7f00:1 is a loopback address;/) });
    expect(await resolveTarget(new URL('http://169.254.169.254/latest/meta-data/'), true)).toEqual({ ok: false, refused: true, reason: '169.254.169.254 is the cloud metadata address; webhooks may not target it' });
    // The URL parser turns other spellings of an address into the dotted one before the check.
    expect(await resolveTarget(new URL('http://2130706433/'), false)).toMatchObject({ refused: true, reason: expect.stringMatching(/^127\.0\.0\.1 is a loopback/) });
    expect(await resolveTarget(new URL('http://127.0.0.1:9/'), true)).toEqual({ ok: true, addresses: [{ address: '127.0.0.1', family: 4 }] });
    expect(await resolveTarget(new URL('http://[::1]:9/'), true)).toEqual({ ok: true, addresses: [{ address: '::1', family: 6 }] });
  });
});

describe('webhook URLs as each role reads them', () => {
  it('shows admins the whole URL and everyone else its scheme, host and port', () => {
    const url = 'https://hooks.example.com:8443/services/T0/B0/XXXX?token=abc#frag';
    expect(urlFor({ name: 'root', role: 'admin' }, url)).toBe(url);
    for (const role of ['viewer', 'editor'] as const) expect(urlFor({ name: 'v', role }, url)).toBe('https://hooks.example.com:8443/…');
    expect(redactedUrl('http://[::1]:8080/x?y=1')).toBe('http://[::1]:8080/…');
    expect(redactedUrl('https://hooks.example.com')).toBe('https://hooks.example.com/…');
    expect(redactedUrl('not a url')).toBe('…');
  });
});
