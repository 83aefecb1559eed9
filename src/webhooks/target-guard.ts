import * as ipaddr from 'ipaddr.js';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { DomainError } from '../shared/domain/domain-error';

/**
 * The kinds of address (ipaddr.js's range names) a webhook may target besides public
 * unicast ones. Nothing by default: private, loopback, link-local and the like are the
 * platform's own network, and a webhook must not become a way into it.
 */
export const ADDRESS_RANGES = ['loopback', 'private', 'linkLocal', 'uniqueLocal', 'carrierGradeNat'] as const;
export type AddressRange = (typeof ADDRESS_RANGES)[number];

/** Refused whatever the configuration. */
const NEVER = new Set(['unspecified', 'broadcast', 'multicast', 'reserved']);

const MAX_URL_LENGTH = 2_048;

/** Checks webhook targets: the URL's form when a webhook is made, and each address it resolves to, then and at every delivery. */
export class TargetGuard {
  private readonly allowed: ReadonlySet<string>;

  constructor(allowed: readonly AddressRange[]) {
    this.allowed = new Set(allowed);
  }

  /** The URL, normalized, or a WEBHOOK.INVALID_URL error saying what is wrong with it. */
  parse(raw: string): URL {
    const invalid = (why: string) => new DomainError('WEBHOOK.INVALID_URL', `The webhook URL ${why}.`);
    if (raw.length > MAX_URL_LENGTH) throw invalid(`is longer than ${MAX_URL_LENGTH} characters`);
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw invalid('is not an absolute URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('must use https (or http)');
    // Credentials in a URL would be shown back by GET /v1/webhooks and logged by proxies: sign with the secret instead.
    if (url.username || url.password) throw invalid('must not hold a user name or password');
    if (url.hash) throw invalid('must not have a fragment');
    return url;
  }

  /** Whether an address may be targeted; the reason when not. */
  check(address: string): { ok: true } | { ok: false; range: string } {
    let parsed: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      parsed = ipaddr.process(address); // an IPv4-mapped IPv6 address is judged as the IPv4 one
    } catch {
      return { ok: false, range: 'invalid' };
    }
    const range = parsed.range();
    if (range === 'unicast') return { ok: true };
    if (!NEVER.has(range) && this.allowed.has(range)) return { ok: true };
    return { ok: false, range };
  }

  /**
   * Resolves the URL's host and checks every address it has (a name with one private
   * address among public ones is refused). Answers the addresses.
   */
  async resolve(url: URL): Promise<string[]> {
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    let addresses: string[];
    if (isIP(host)) addresses = [host];
    else {
      try {
        addresses = (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
      } catch {
        throw new DomainError('WEBHOOK.TARGET_UNRESOLVABLE', `The webhook host ${host} does not resolve.`, { host });
      }
    }
    for (const address of addresses) {
      const verdict = this.check(address);
      if (!verdict.ok) {
        throw new DomainError('WEBHOOK.TARGET_FORBIDDEN', `The webhook host ${host} resolves to a ${verdict.range} address, which webhooks may not target.`, {
          host,
          range: verdict.range,
        });
      }
    }
    return addresses;
  }
}
