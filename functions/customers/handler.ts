import {
  functionDeps,
  eraseCustomer,
  findCustomersByEmail,
  getCustomer,
  json,
  listTouchpoints,
  LookupRequest,
  lookupCustomers,
  parseJsonBody,
  parseQuery,
  pathParam,
  principalOf,
  routeHandler,
  EmailQuery,
  TouchpointQuery,
} from '@patron/core';

export const handler = routeHandler('customers', {
  'GET /customers': async (event) =>
    json(200, { customers: await findCustomersByEmail(await functionDeps.customers(), parseQuery(event, EmailQuery).email) }),
  'POST /customers/lookup': async (event) =>
    json(200, { customers: await lookupCustomers(await functionDeps.customers(), parseJsonBody(event, LookupRequest)) }),
  'GET /customers/{id}': async (event) => json(200, await getCustomer(await functionDeps.customers(), pathParam(event, 'id'))),
  'GET /customers/{id}/touchpoints': async (event) =>
    json(200, await listTouchpoints(await functionDeps.customers(), pathParam(event, 'id'), parseQuery(event, TouchpointQuery))),
  'DELETE /customers/{id}': async (event) => json(200, await eraseCustomer(await functionDeps.customers(), pathParam(event, 'id'))),
  'GET /me': async (event) => json(200, principalOf(event)),
});
