import {
  apiBaseForRegion,
  authBaseForRegion,
  authRegionFor,
  domainProblem,
  extractRegionFromDomain,
  normalizeRegion,
  stripTrailingSlash,
  withScheme,
} from '../src';
import { fixture } from './support/helpers';

interface DomainFixture {
  regions: { region: string; apiBase: string; authBase: string }[];
  extraction: { domain: string; region: string | null }[];
  validDomains: string[];
  invalidDomains: { domain: string; reason: string }[];
}

const table = fixture<DomainFixture>('domain-mapping.json');

describe('region mapping', () => {
  it.each(table.regions)(
    'maps $region to its API and auth bases',
    ({ region, apiBase, authBase }) => {
      expect(apiBaseForRegion(region)).toBe(apiBase);
      expect(authBaseForRegion(region)).toBe(authBase);
    },
  );

  it('sends voice-prod and chat-prod to the us-west-2-prod auth server and keeps other regions', () => {
    expect(authRegionFor('voice-prod')).toBe('us-west-2-prod');
    expect(authRegionFor('chat-prod')).toBe('us-west-2-prod');
    expect(authRegionFor('chat-staging')).toBe('chat-staging');
    expect(authRegionFor('customer-profile')).toBe('customer-profile');
  });

  it('keeps the auth mapping case-sensitive, as upstream', () => {
    expect(authRegionFor('Voice-Prod')).toBe('Voice-Prod');
  });

  it('lower-cases regions and rejects characters outside a-z, 0-9 and -', () => {
    expect(normalizeRegion('Voice-Prod')).toBe('voice-prod');
    expect(normalizeRegion('us west')).toBeUndefined();
    expect(normalizeRegion('us_west')).toBeUndefined();
  });
});

describe('region extraction from apiDomain', () => {
  it.each(table.extraction)('extracts $region from "$domain"', ({ domain, region }) => {
    expect(extractRegionFromDomain(domain)).toBe(region ?? undefined);
  });
});

describe('domain validation', () => {
  it.each(table.validDomains)('accepts %s', (domain) => {
    expect(domainProblem(domain)).toBeUndefined();
  });

  it.each(table.invalidDomains)('rejects "$domain" ($reason)', ({ domain, reason }) => {
    expect(domainProblem(domain)).toContain(reason);
  });

  it('adds https:// only when no http(s) scheme is present', () => {
    expect(withScheme('api-customer-profile.cresta.com')).toBe(
      'https://api-customer-profile.cresta.com',
    );
    expect(withScheme('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
    expect(withScheme('https://x.cresta.ai')).toBe('https://x.cresta.ai');
  });

  it('strips exactly one trailing slash', () => {
    expect(stripTrailingSlash('https://x.cresta.ai/')).toBe('https://x.cresta.ai');
    expect(stripTrailingSlash('https://x.cresta.ai')).toBe('https://x.cresta.ai');
  });
});
