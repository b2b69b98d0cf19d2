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
});
