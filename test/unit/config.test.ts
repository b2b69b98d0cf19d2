import { createHash } from 'node:crypto';
import { parseConfig, ConfigError } from '@patron/core';

const sha = (k: string) => createHash('sha256').update(k).digest('hex');

describe('parseConfig', () => {
  it('splits comma-separated webhook secrets so rotation can hold several', () => {
    const config = parseConfig({ WEBHOOK_SECRET_SHOPIFY: 'old, new' });
    expect(config.webhookSecrets.shopify).toEqual(['old', 'new']);
  });

  it('keeps API keys only as SHA-256 digests and accepts pre-hashed ones, both with every scope', () => {
    const config = parseConfig({ API_KEYS: `plain-key,sha256:${sha('other')}` });
    expect(config.apiKeys).toEqual([
      { name: 'key-1', digest: sha('plain-key'), scopes: ['admin'] },
      { name: 'key-2', digest: sha('other'), scopes: ['admin'] },
    ]);
  });

  it('reads named keys with scopes, raw or as digests', () => {
    const config = parseConfig({ API_KEYS: `crm-sync:read+offers:write:s3cret, eraser:customers:erase:sha256:${sha('k').toUpperCase()}` });
    expect(config.apiKeys).toEqual([
      { name: 'crm-sync', digest: sha('s3cret'), scopes: ['read', 'offers:write'] },
      { name: 'eraser', digest: sha('k'), scopes: ['customers:erase'] },
    ]);
  });

  it('refuses an unknown scope, a key without its secret and a malformed digest, naming API_KEYS', () => {
    expect(() => parseConfig({ API_KEYS: 'bot:delete-everything:s3cret' })).toThrow(
      /API_KEYS: key bot: expected bot:<scope>\+<scope>:<key>/,
    );
    expect(() => parseConfig({ API_KEYS: 'bot:read:' })).toThrow(/API_KEYS: key bot: the key itself is missing/);
    expect(() => parseConfig({ API_KEYS: 'sha256:abc' })).toThrow(/API_KEYS: entry 1: sha256: must be followed by 64 hex digits/);
  });

  it('fails fast naming the variable when a generic secret lacks the whsec_ prefix', () => {
    expect(() => parseConfig({ WEBHOOK_SECRET_GENERIC: 'nope' })).toThrow(ConfigError);
    expect(() => parseConfig({ WEBHOOK_SECRET_GENERIC: 'nope' })).toThrow(/WEBHOOK_SECRET_GENERIC/);
  });

  it('reads the offer rule set from OFFER_RULES, defaults when unset, and names the bad field otherwise', () => {
    expect(parseConfig({}).offerRules.rules['quiet-period'].days).toBe(14);
    const custom = parseConfig({ OFFER_RULES: '{"rules":{"quiet-period":{"days":30,"severity":"block"}}}' });
    expect(custom.offerRules.rules['quiet-period']).toMatchObject({ days: 30, severity: 'block', enabled: true });
    expect(() => parseConfig({ OFFER_RULES: '{"rules":{"quiet-period":{"days":-1}}}' })).toThrow(/OFFER_RULES: rules\.quiet-period\.days/);
    expect(() => parseConfig({ OFFER_RULES: '{not json' })).toThrow(ConfigError);
  });

  it('reads DEFAULT_PHONE_REGION through the schema: a region libphonenumber knows, or a ConfigError naming it', () => {
    expect(parseConfig({ DEFAULT_PHONE_REGION: 'DE' }).defaultPhoneRegion).toBe('DE');
    expect(parseConfig({}).defaultPhoneRegion).toBeUndefined();
    expect(() => parseConfig({ DEFAULT_PHONE_REGION: 'XX' })).toThrow(/DEFAULT_PHONE_REGION/);
    expect(() => parseConfig({ DEFAULT_PHONE_REGION: 'de' })).toThrow(ConfigError);
  });
});
