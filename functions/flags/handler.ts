import { appDeps, customerFlags, FlagQuery, json, latestSegments, listFlags, parseQuery, pathParam, routeHandler } from '@patron/core';

export const handler = routeHandler('flags', {
  'GET /flags': async (event) => json(200, await listFlags(await appDeps(), parseQuery(event, FlagQuery))),
  'GET /customers/{id}/flags': async (event) => json(200, await customerFlags(await appDeps(), pathParam(event, 'id'))),
  'GET /segments': async () => json(200, await latestSegments(await appDeps())),
});
