import { CrestaErrorCode, parseVirtualAgentName, validatePathSegment } from '../src';

describe('parseVirtualAgentName', () => {
  it('splits a valid name into customer, profile and virtual agent id', () => {
    expect(parseVirtualAgentName('customers/acme/profiles/main/virtualAgents/va-1')).toEqual({
      name: 'customers/acme/profiles/main/virtualAgents/va-1',
      customer: 'acme',
      profile: 'main',
      virtualAgentId: 'va-1',
    });
  });

  it.each([
    'customers/acme/profiles/main',
    'customers/acme/profiles/main/virtualAgents/va-1/extra',
    'customer/acme/profiles/main/virtualAgents/va-1',
    'customers/acme/profile/main/virtualAgents/va-1',
    'customers//profiles/main/virtualAgents/va-1',
    '',
  ])('rejects "%s" with the expected-format message', (name) => {
    expect(() => parseVirtualAgentName(name)).toThrow(
      `invalid virtual agent name: ${name}. Expected format: customers/{customer}/profiles/{profile}/virtualAgents/{virtualAgentID}`,
    );
  });
});

describe('validatePathSegment', () => {
  it('rejects an empty segment', () => {
    expect(() => validatePathSegment('', 'customer')).toThrow('customer cannot be empty');
  });

  it('accepts ordinary ids with dots, dashes and underscores', () => {
    expect(() => validatePathSegment('va-1.2_x', 'virtualAgentID')).not.toThrow();
  });

  it('detects URL-encoded traversal in any case in both modes', () => {
    for (const mode of ['upstream', 'extended'] as const) {
      expect(() => validatePathSegment('a%2e%2Eb', 'profile', mode)).toThrow(
        'profile contains URL-encoded path traversal: a%2e%2Eb',
      );
    }
  });

  it('lets backslashes and encoded separators through in upstream mode only', () => {
    expect(() => validatePathSegment('a\\b', 'customer', 'upstream')).not.toThrow();
    expect(() => validatePathSegment('a%5Cb', 'customer', 'upstream')).not.toThrow();
    expect(() => validatePathSegment('a%5Cb', 'customer', 'extended')).toThrow(
      'customer contains URL-encoded path separator: a%5Cb',
    );
  });

  it('rejects characters that cannot stand in a URL path', () => {
    const error = (() => {
      try {
        validatePathSegment('va 1?x', 'virtualAgentID');
      } catch (err) {
        return err as { code: string; message: string };
      }
      return undefined;
    })();
    expect(error?.code).toBe(CrestaErrorCode.Validation);
    expect(error?.message).toContain('not allowed in a URL path');
  });
});
