import { appDeps, assertApiKey, customerFlags, FlagQuery, httpHandler, json, latestSegments, listFlags, parseQuery, pathParam } from '@patron/core';

export const handler = httpHandler(async (event) => {
  const deps = await appDeps();
  assertApiKey(event, deps.config.apiKeyHashes);
  switch (event.routeKey) {
    case 'GET /flags':
      return json(200, await listFlags(deps, parseQuery(event, FlagQuery)));
    case 'GET /customers/{id}/flags':
      return json(200, await customerFlags(deps, pathParam(event, 'id')));
    case 'GET /segments':
      return json(200, await latestSegments(deps));
    default:
      throw new Error(`flags function wired to unexpected route ${event.routeKey}`);
  }
});
