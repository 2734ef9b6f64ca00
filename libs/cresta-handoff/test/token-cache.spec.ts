import { TokenCache } from '../src';

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
});
