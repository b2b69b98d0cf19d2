import { createHash } from 'node:crypto';
import { parseConfig, ConfigError } from '@patron/core';

const sha = (k: string) => createHash('sha256').update(k).digest('hex');

describe('parseConfig', () => {
  it('splits comma-separated webhook secrets so rotation can hold several', () => {
    const config = parseConfig({ WEBHOOK_SECRET_SHOPIFY: 'old, new' }, sha);
    expect(config.webhookSecrets.shopify).toEqual(['old', 'new']);
  });

  it('keeps API keys only as SHA-256 digests and accepts pre-hashed ones', () => {
    const config = parseConfig({ API_KEYS: `plain-key,sha256:${sha('other')}` }, sha);
    expect(config.apiKeyHashes).toEqual([sha('plain-key'), sha('other')]);
  });

  it('fails fast naming the variable when a generic secret lacks the whsec_ prefix', () => {
    expect(() => parseConfig({ WEBHOOK_SECRET_GENERIC: 'nope' }, sha)).toThrow(ConfigError);
    expect(() => parseConfig({ WEBHOOK_SECRET_GENERIC: 'nope' }, sha)).toThrow(/WEBHOOK_SECRET_GENERIC/);
  });

  it('reads the offer rule set from OFFER_RULES, defaults when unset, and names the bad field otherwise', () => {
    expect(parseConfig({}, sha).offerRules.rules['quiet-period'].days).toBe(14);
    const custom = parseConfig({ OFFER_RULES: '{"rules":{"quiet-period":{"days":30,"severity":"block"}}}' }, sha);
    expect(custom.offerRules.rules['quiet-period']).toMatchObject({ days: 30, severity: 'block', enabled: true });
    expect(() => parseConfig({ OFFER_RULES: '{"rules":{"quiet-period":{"days":-1}}}' }, sha)).toThrow(
      /OFFER_RULES: rules\.quiet-period\.days/,
    );
    expect(() => parseConfig({ OFFER_RULES: '{not json' }, sha)).toThrow(ConfigError);
  });

  it('reads DEFAULT_PHONE_REGION through the schema: a region libphonenumber knows, or a ConfigError naming it', () => {
    expect(parseConfig({ DEFAULT_PHONE_REGION: 'DE' }, sha).defaultPhoneRegion).toBe('DE');
    expect(parseConfig({}, sha).defaultPhoneRegion).toBeUndefined();
    expect(() => parseConfig({ DEFAULT_PHONE_REGION: 'XX' }, sha)).toThrow(/DEFAULT_PHONE_REGION/);
    expect(() => parseConfig({ DEFAULT_PHONE_REGION: 'de' }, sha)).toThrow(ConfigError);
  });
});
