import { createPiiHasher, identityOf, normalizeEmail, normalizePhone } from '@patron/core';

describe('identity normalization', () => {
  it('lower-cases and trims emails', () => {
    expect(normalizeEmail('  Ann.Lee+shop@Example.COM ')).toBe('ann.lee+shop@example.com');
  });

  it('turns phone numbers into E.164, using the default region for national numbers', () => {
    expect(normalizePhone('+49 30 1234567')).toBe('+49301234567');
    expect(normalizePhone('030 1234567', 'DE')).toBe('+49301234567');
    expect(normalizePhone('not a phone')).toBeUndefined();
  });

  it("scopes external ids by source so two providers' id 42 stay apart", () => {
    const a = identityOf({ externalId: '42' }, 'shopify');
    const b = identityOf({ externalId: '42' }, 'zendesk');
    expect(a.keys).toEqual([{ kind: 'ext', value: 'shopify:42' }]);
    expect(b.keys).toEqual([{ kind: 'ext', value: 'zendesk:42' }]);
  });

  it('drops an unreadable phone but keeps the other identifiers', () => {
    const id = identityOf({ email: 'a@example.com', phone: '12' }, 'generic');
    expect(id.keys.map((k) => k.kind)).toEqual(['email']);
    expect(id.dropped).toEqual(['phone']);
  });
});

describe('PII hasher', () => {
  it('is keyed: the same email hashes differently under another key, and never contains the email', () => {
    const key = { kind: 'email', value: 'ann@example.com' } as const;
    const h1 = createPiiHasher('first-secret-key-123')(key);
    const h2 = createPiiHasher('other-secret-key-456')(key);
    expect(h1).not.toBe(h2);
    expect(h1).toBe(createPiiHasher('first-secret-key-123')(key));
    expect(h1).not.toContain('ann');
  });
});
