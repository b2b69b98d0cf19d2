import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ForbiddenError, parseApiKey, principalFor, requireScope, type Scope, UnauthorizedError } from '@patron/core';

const withKey = (key?: string) => ({ headers: key === undefined ? {} : { 'x-api-key': key } }) as unknown as APIGatewayProxyEventV2;
const keys = [
  parseApiKey('admin-secret', 0),
  parseApiKey('reader:read:read-secret', 1),
  parseApiKey('eraser:read+customers:erase:erase-secret', 2),
];

/** What the router does before an `api-key` route's handler: who presents the key, then the route's scope. */
const authorize = async (key: string | undefined, scope: Scope) => requireScope(await principalFor(withKey(key), { apiKeys: keys }), scope);

describe('scoped API keys', () => {
  it('lets a plain key (every scope) through any route', async () => {
    await expect(authorize('admin-secret', 'customers:erase')).resolves.toMatchObject({ principal: 'key-1', kind: 'api-key' });
  });

  it('lets a scoped key through the routes of its scopes only, with 403 naming the missing scope', async () => {
    await expect(authorize('read-secret', 'read')).resolves.toMatchObject({ principal: 'reader' });
    await expect(authorize('read-secret', 'offers:write')).rejects.toThrow(ForbiddenError);
    await expect(authorize('read-secret', 'offers:write')).rejects.toThrow(/reader.*offers:write/);
    await expect(authorize('erase-secret', 'customers:erase')).resolves.toMatchObject({ principal: 'eraser' });
  });

  it('answers 401, not 403, for a missing or unknown key', async () => {
    await expect(authorize(undefined, 'read')).rejects.toThrow(UnauthorizedError);
    await expect(authorize('nope', 'read')).rejects.toThrow(UnauthorizedError);
  });
});
