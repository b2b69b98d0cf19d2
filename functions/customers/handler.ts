import {
  appDeps,
  eraseCustomer,
  findCustomersByEmail,
  getCustomer,
  json,
  listTouchpoints,
  parseQuery,
  pathParam,
  routeHandler,
  EmailQuery,
  TouchpointQuery,
} from '@patron/core';

export const handler = routeHandler('customers', {
  'GET /customers': async (event) =>
    json(200, { customers: await findCustomersByEmail(await appDeps(), parseQuery(event, EmailQuery).email) }),
  'GET /customers/{id}': async (event) => json(200, await getCustomer(await appDeps(), pathParam(event, 'id'))),
  'GET /customers/{id}/touchpoints': async (event) =>
    json(200, await listTouchpoints(await appDeps(), pathParam(event, 'id'), parseQuery(event, TouchpointQuery))),
  'DELETE /customers/{id}': async (event) => json(200, await eraseCustomer(await appDeps(), pathParam(event, 'id'))),
});
