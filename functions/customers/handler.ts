import {
  appDeps,
  assertApiKey,
  eraseCustomer,
  findCustomersByEmail,
  getCustomer,
  httpHandler,
  json,
  listTouchpoints,
  parseQuery,
  pathParam,
  EmailQuery,
  TouchpointQuery,
} from '@patron/core';

export const handler = httpHandler(async (event) => {
  const deps = await appDeps();
  assertApiKey(event, deps.config.apiKeyHashes);
  switch (event.routeKey) {
    case 'GET /customers':
      return json(200, { customers: await findCustomersByEmail(deps, parseQuery(event, EmailQuery).email) });
    case 'GET /customers/{id}':
      return json(200, await getCustomer(deps, pathParam(event, 'id')));
    case 'GET /customers/{id}/touchpoints':
      return json(200, await listTouchpoints(deps, pathParam(event, 'id'), parseQuery(event, TouchpointQuery)));
    case 'DELETE /customers/{id}':
      return json(200, await eraseCustomer(deps, pathParam(event, 'id')));
    default:
      throw new Error(`customers function wired to unexpected route ${event.routeKey}`);
  }
});
