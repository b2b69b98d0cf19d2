import {
  BrowseQuery,
  browseCustomers,
  functionDeps,
  customerFlags,
  FlagQuery,
  json,
  latestFunnel,
  latestSegments,
  listFlags,
  parseQuery,
  pathParam,
  ResponseRatesQuery,
  responseRates,
  routeHandler,
  SourcesQuery,
  sourcesHealth,
} from '@patron/core';

export const handler = routeHandler('flags', {
  'GET /flags': async (event) => json(200, await listFlags(await functionDeps.flags(), parseQuery(event, FlagQuery))),
  'GET /customers/{id}/flags': async (event) => json(200, await customerFlags(await functionDeps.flags(), pathParam(event, 'id'))),
  'GET /customer-scores': async (event) => json(200, await browseCustomers(await functionDeps.flags(), parseQuery(event, BrowseQuery))),
  'GET /sources': async (event) => json(200, await sourcesHealth(await functionDeps.flags(), parseQuery(event, SourcesQuery))),
  'GET /segments': async () => json(200, await latestSegments(await functionDeps.flags())),
  'GET /funnel': async () => json(200, await latestFunnel(await functionDeps.flags())),
  'GET /response-rates': async (event) =>
    json(200, await responseRates(await functionDeps.flags(), parseQuery(event, ResponseRatesQuery).by)),
});
