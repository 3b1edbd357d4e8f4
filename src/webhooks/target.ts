import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/**
 * Where a webhook may send: only to publicly routable addresses, so that registering a webhook
 * cannot make the server probe or call its own network (a port-scan oracle, the cloud metadata
 * service). An operator whose receivers are internal allows private targets with
 * TAGFUSION_WEBHOOK_ALLOW_PRIVATE=1; the metadata addresses stay refused even then.
 */

/** How each range ipaddr.js names reads in a refusal. Anything not listed here is 'unicast'. */
const RANGES: Record<string, string> = {
  unspecified: 'an unspecified address',
  broadcast: 'a broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address',
  loopback: 'a loopback address',
  carrierGradeNat: 'a shared (CGNAT) address',
  private: 'a private address',
  uniqueLocal: 'a private (unique local) address',
  reserved: 'a reserved address',
  // These IPv6 forms carry an IPv4 address that a translator or tunnel would reach, possibly a private one.
  rfc6145: 'an IPv4-translated address',
  rfc6052: 'a NAT64 address',
  '6to4': 'a 6to4 address',
  teredo: 'a Teredo address',
};

/** AWS, GCP and Azure serve instance credentials here (Amazon also on IPv6). */
const METADATA = new Set(['169.254.169.254', 'fd00:ec2::254'].map((a) => ipaddr.parse(a).toNormalizedString()));

export const ALLOW_SETTING = 'TAGFUSION_WEBHOOK_ALLOW_PRIVATE=1';

/**
 * Why a webhook may not connect to `address` (an IP literal), or null when it may. An
 * IPv4-mapped IPv6 address (::ffff:10.0.0.1) is judged as the IPv4 address it reaches.
 */
export function addressRefusal(address: string, allowPrivate: boolean): string | null {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  if (METADATA.has(ip.toNormalizedString())) return 'the cloud metadata address';
  if (allowPrivate) return null;
  const range = ip.range();
  return range === 'unicast' ? null : (RANGES[range] ?? `a ${range} address`);
}

export interface Address {
  address: string;
  family: 4 | 6;
}

export type Resolution = { ok: true; addresses: Address[] } | { ok: false; refused: boolean; reason: string };

/**
 * Resolves a URL's host and checks every address it resolves to (a name with one private
 * address among public ones is refused: the connection could go to either). The answer is the
 * addresses to connect to, so that the check and the connection see the same ones. Reasons name
 * the host and the range, never the URL's path, query or resolved address.
 */
export async function resolveTarget(url: URL, allowPrivate: boolean): Promise<Resolution> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: { address: string; family: number }[];
  try {
    addresses = await lookup(host, { all: true, verbatim: true });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return { ok: false, refused: false, reason: `the host ${host} could not be resolved (${typeof code === 'string' ? code : 'lookup failed'})` };
  }
  if (addresses.length === 0) return { ok: false, refused: false, reason: `the host ${host} could not be resolved (no address)` };
  const literal = ipaddr.isValid(host);
  for (const { address } of addresses) {
    const why = addressRefusal(address, allowPrivate);
    if (why) {
      const hint = why === 'the cloud metadata address' ? '' : ` unless an operator sets ${ALLOW_SETTING}`;
      return { ok: false, refused: true, reason: `${literal ? `${host} is` : `the host ${host} resolves to`} ${why}; webhooks may not target it${hint}` };
    }
  }
  return { ok: true, addresses: addresses.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 })) };
}
