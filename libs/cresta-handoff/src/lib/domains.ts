/**
 * Region → API/auth base mapping, region extraction from an API domain, and base URL validation.
 * All pure functions; see the README section "Domains and regions".
 */
import { clip, redactUserinfo } from './errors';

/** Regions whose OAuth server lives in another region (hard-wired upstream). */
const AUTH_REGION_OVERRIDES: Readonly<Record<string, string>> = {
  'voice-prod': 'us-west-2-prod',
  'chat-prod': 'us-west-2-prod',
};

const REGION_IN_DOMAIN = /api[-.]([a-z0-9-]+)\.cresta\.(ai|com)/;
const REGION_FORM = /^[a-z0-9-]+$/;

/**
 * The API base for a region: `https://api.<region>.cresta.com` for `-prod` regions, otherwise
 * `https://api.<region>.cresta.ai`. The region must already be lower-case and valid
 * (see {@link normalizeRegion}).
 *
 * @example
 * ```ts
 * apiBaseForRegion('us-west-2-prod'); // 'https://api.us-west-2-prod.cresta.com'
 * apiBaseForRegion('voice-staging'); // 'https://api.voice-staging.cresta.ai'
 * ```
 */
export function apiBaseForRegion(region: string): string {
  const tld = region.endsWith('-prod') ? 'com' : 'ai';
  return `https://api.${region}.cresta.${tld}`;
}

/**
 * The region whose OAuth server serves `region`: `voice-prod` and `chat-prod` use
 * `us-west-2-prod`; every other region is returned as is. The lookup is case-sensitive, as
 * upstream; callers lower-case the region first unless they want upstream parity.
 *
 * @example
 * ```ts
 * authRegionFor('voice-prod'); // 'us-west-2-prod'
 * authRegionFor('chat-staging'); // 'chat-staging'
 * ```
 */
export function authRegionFor(region: string): string {
  return AUTH_REGION_OVERRIDES[region] ?? region;
}

/**
 * The OAuth base for a region: always `https://auth.<authRegion>.cresta.ai`, also for prod.
 *
 * @example
 * ```ts
 * authBaseForRegion('voice-prod'); // 'https://auth.us-west-2-prod.cresta.ai'
 * ```
 */
export function authBaseForRegion(region: string): string {
  return `https://auth.${authRegionFor(region)}.cresta.ai`;
}

/**
 * Lower-cases a region and checks it against `^[a-z0-9-]+$`.
 *
 * @returns the lower-case region, or `undefined` when it has other characters.
 * @example
 * ```ts
 * normalizeRegion('Voice-Prod'); // 'voice-prod'
 * normalizeRegion('us west'); // undefined
 * ```
 */
export function normalizeRegion(region: string): string | undefined {
  const lower = region.toLowerCase();
  return REGION_FORM.test(lower) ? lower : undefined;
}

/**
 * Extracts the region from an API domain with the upstream pattern
 * `api[-.]([a-z0-9-]+)\.cresta\.(ai|com)`, matched anywhere in the string (with or without a
 * scheme).
 *
 * @returns the region, or `undefined` when the domain does not follow the Cresta pattern.
 * @example
 * ```ts
 * extractRegionFromDomain('api-customer-profile.cresta.com'); // 'customer-profile'
 * extractRegionFromDomain('https://api.us-west-2-prod.cresta.ai'); // 'us-west-2-prod'
 * ```
 */
export function extractRegionFromDomain(domain: string): string | undefined {
  return REGION_IN_DOMAIN.exec(domain)?.[1];
}

/**
 * Prepends `https://` unless the value already starts with `http://` or `https://`.
 *
 * @example
 * ```ts
 * withScheme('api-customer-profile.cresta.com'); // 'https://api-customer-profile.cresta.com'
 * withScheme('http://127.0.0.1:8080'); // unchanged
 * ```
 */
export function withScheme(domain: string): string {
  return /^https?:\/\//.test(domain) ? domain : `https://${domain}`;
}

const IPV4_LOOPBACK = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * Whether a parsed URL's `hostname` is a real loopback host: `localhost`, the IPv6 literal `::1`
 * (`[::1]` in a URL), or an IPv4 literal in 127.0.0.0/8. The WHATWG URL parser has already turned
 * IPv4 spellings such as `127.1` or `0x7f000001` into dotted decimal, so a name that only starts
 * with `127.` (`127.attacker.example`, `127.0.0.1.nip.io`) is not loopback.
 */
export function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost' || hostname === '[::1]') return true;
  const octets = IPV4_LOOPBACK.exec(hostname);
  return octets !== null && octets.slice(1).every((octet) => Number(octet) <= 255);
}

/**
 * Validates an API or auth base URL with the upstream rules: it parses as a URL; there is no user
 * information (`user:password@`, rejected without repeating it); the scheme is `https`, or `http`
 * for a loopback host only (`localhost`, `[::1]`, an IPv4 literal in 127.0.0.0/8); the path is
 * empty or `/`; there is no query and no fragment; the host is non-empty and contains neither `/`
 * nor `..`. A port is allowed.
 *
 * @returns `undefined` when valid, otherwise the reason (used in `invalid domain: <reason>`).
 * @example
 * ```ts
 * domainProblem('https://api.us-west-2-prod.cresta.com'); // undefined
 * domainProblem('http://api.example.com'); // 'http is only allowed for localhost ...'
 * domainProblem('https://u:p@api.example.com'); // 'credentials (user:password@) are not allowed ...'
 * ```
 */
export function domainProblem(base: string): string | undefined {
  if (base.length === 0) return 'domain is empty';
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    return `not a valid URL: ${clip(redactUserinfo(base))}`;
  }
  if (url.username !== '' || url.password !== '' || redactUserinfo(base) !== base) {
    return 'credentials (user:password@) are not allowed in the domain';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return `unsupported scheme ${url.protocol.slice(0, -1)} (use https)`;
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    return `http is only allowed for localhost, [::1] and 127.0.0.0/8 addresses, use https: ${clip(base)}`;
  }
  if (url.hostname.length === 0) return `host is empty: ${clip(base)}`;
  if (url.hostname.includes('..') || url.hostname.includes('/')) {
    return `host contains invalid characters: ${clip(url.hostname)}`;
  }
  const afterScheme = base.slice(url.protocol.length + 2);
  if (url.search.length > 0 || afterScheme.includes('?'))
    return `query is not allowed: ${clip(base)}`;
  if (url.hash.length > 0 || afterScheme.includes('#'))
    return `fragment is not allowed: ${clip(base)}`;
  if (url.pathname !== '/' && url.pathname !== '')
    return `path is not allowed: ${clip(url.pathname)}`;
  const authority = afterScheme.replace(/\/$/, '');
  if (authority.includes('/') || authority.includes('..')) {
    return `path is not allowed: ${clip(base)}`;
  }
  return undefined;
}

/**
 * Removes one trailing `/` so that paths can be appended without giving `//v1/...`.
 *
 * @example
 * ```ts
 * stripTrailingSlash('https://api.example.cresta.ai/'); // 'https://api.example.cresta.ai'
 * ```
 */
export function stripTrailingSlash(base: string): string {
  return base.endsWith('/') ? base.slice(0, -1) : base;
}
