import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { authorizeApiKey, ForbiddenError, parseApiKey, UnauthorizedError } from '@patron/core';

const withKey = (key?: string) => ({ headers: key === undefined ? {} : { 'x-api-key': key } }) as unknown as APIGatewayProxyEventV2;
const keys = [
  parseApiKey('admin-secret', 0),
  parseApiKey('reader:read:read-secret', 1),
  parseApiKey('eraser:read+customers:erase:erase-secret', 2),
];

describe('scoped API keys', () => {
  it('lets a plain key (every scope) through any route', () => {
    expect(authorizeApiKey(withKey('admin-secret'), keys, 'customers:erase').name).toBe('key-1');
  });

  it('lets a scoped key through the routes of its scopes only, with 403 naming the missing scope', () => {
    expect(authorizeApiKey(withKey('read-secret'), keys, 'read').name).toBe('reader');
    expect(() => authorizeApiKey(withKey('read-secret'), keys, 'offers:write')).toThrow(ForbiddenError);
    expect(() => authorizeApiKey(withKey('read-secret'), keys, 'offers:write')).toThrow(/reader.*offers:write/);
    expect(authorizeApiKey(withKey('erase-secret'), keys, 'customers:erase').name).toBe('eraser');
  });

  it('answers 401, not 403, for a missing or unknown key', () => {
    expect(() => authorizeApiKey(withKey(), keys, 'read')).toThrow(UnauthorizedError);
    expect(() => authorizeApiKey(withKey('nope'), keys, 'read')).toThrow(UnauthorizedError);
  });
});
