import { CrestaErrorCode, DEFAULT_TOKEN_CACHE_MAX_ENTRIES, TokenCache } from '../src';

const AUTH = 'https://auth.us-west-2-prod.cresta.ai';

describe('TokenCache', () => {
  let now = 1_000_000;
  const clock = (): number => now;
  beforeEach(() => {
    now = 1_000_000;
  });

  it('caches a token until expires_in minus the 300 s buffer', () => {
    const cache = new TokenCache({ now: clock });
    expect(cache.store(AUTH, 'id', 't1', 3600)).toBe(true);
    now += (3600 - 300) * 1000 - 1;
    expect(cache.get(AUTH, 'id')).toBe('t1');
    now += 1;
    expect(cache.get(AUTH, 'id')).toBeUndefined();
  });

  it('does not cache tokens living 300 s or less, or without a lifetime', () => {
    const cache = new TokenCache({ now: clock });
    expect(cache.store(AUTH, 'id', 't', 300)).toBe(false);
    expect(cache.store(AUTH, 'id', 't', 0)).toBe(false);
    expect(cache.store(AUTH, 'id', 't', -5)).toBe(false);
    expect(cache.store(AUTH, 'id', 't', undefined)).toBe(false);
    expect(cache.size).toBe(0);
  });

  it('takes a configurable buffer', () => {
    const cache = new TokenCache({ now: clock, expiryBufferMs: 10_000 });
    expect(cache.store(AUTH, 'id', 't', 60)).toBe(true);
    now += 50_000;
    expect(cache.get(AUTH, 'id')).toBeUndefined();
  });

  it('keeps tokens of different auth servers apart by default', () => {
    const cache = new TokenCache({ now: clock });
    cache.store(AUTH, 'id', 't1', 3600);
    expect(cache.get('https://auth.other.cresta.ai', 'id')).toBeUndefined();
    expect(cache.get(AUTH, 'other-id')).toBeUndefined();
  });

  it('keys by client id only in upstream mode', () => {
    const cache = new TokenCache({ now: clock, keyBy: 'clientId' });
    cache.store(AUTH, 'id', 't1', 3600);
    expect(cache.get('https://auth.other.cresta.ai', 'id')).toBe('t1');
    expect(cache.key(AUTH, 'id')).toBe('pstn-transfer:tokencache:id');
  });

  it('invalidates only the token that was rejected', () => {
    const cache = new TokenCache({ now: clock });
    cache.store(AUTH, 'id', 'new', 3600);
    cache.invalidate(AUTH, 'id', 'old');
    expect(cache.get(AUTH, 'id')).toBe('new');
    cache.invalidate(AUTH, 'id', 'new');
    expect(cache.get(AUTH, 'id')).toBeUndefined();
    cache.store(AUTH, 'id', 'x', 3600);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('stays bounded when callers name ever new auth servers and client ids (warm container)', () => {
    const cache = new TokenCache({ now: clock });
    for (let i = 0; i < 1000; i++) {
      cache.store(`https://auth-${i}.example`, `client-${i}`, `t${i}`, 3600);
    }
    expect(cache.size).toBe(DEFAULT_TOKEN_CACHE_MAX_ENTRIES);
    // The newest tokens are the ones kept.
    expect(cache.get('https://auth-999.example', 'client-999')).toBe('t999');
    expect(cache.get('https://auth-0.example', 'client-0')).toBeUndefined();
  });

  it('drops expired tokens before live ones when it is full', () => {
    const cache = new TokenCache({ now: clock, maxEntries: 3 });
    cache.store(AUTH, 'live', 'a', 7200);
    cache.store(AUTH, 'short', 'b', 600);
    cache.store(AUTH, 'other', 'c', 7200);
    now += 600_000;
    cache.store(AUTH, 'new', 'd', 7200);
    expect(cache.size).toBe(3);
    expect(cache.get(AUTH, 'live')).toBe('a');
    expect(cache.get(AUTH, 'short')).toBeUndefined();
    expect(cache.get(AUTH, 'new')).toBe('d');
  });

  it('refuses a maxEntries below 1', () => {
    expect(() => new TokenCache({ maxEntries: 0 })).toThrow(
      expect.objectContaining({ code: CrestaErrorCode.InvalidOptions }),
    );
  });
});
