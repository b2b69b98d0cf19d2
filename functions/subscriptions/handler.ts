import {
  createSubscription,
  DeliveryQuery,
  deleteSubscription,
  functionDeps,
  getSubscription,
  json,
  listDeliveries,
  listSubscriptions,
  noContent,
  parseJsonBody,
  parseQuery,
  patchSubscription,
  pathParam,
  rotateSecret,
  routeHandler,
  SubscriptionCreate,
  SubscriptionPatch,
  sendTestEvent,
} from '@patron/core';

export const handler = routeHandler('subscriptions', {
  'POST /subscriptions': async (event) =>
    json(201, await createSubscription(await functionDeps.subscriptions(), parseJsonBody(event, SubscriptionCreate))),
  'GET /subscriptions': async () => json(200, await listSubscriptions(await functionDeps.subscriptions())),
  'GET /subscriptions/{id}': async (event) => json(200, await getSubscription(await functionDeps.subscriptions(), pathParam(event, 'id'))),
  'PATCH /subscriptions/{id}': async (event) =>
    json(200, await patchSubscription(await functionDeps.subscriptions(), pathParam(event, 'id'), parseJsonBody(event, SubscriptionPatch))),
  'DELETE /subscriptions/{id}': async (event) => {
    await deleteSubscription(await functionDeps.subscriptions(), pathParam(event, 'id'));
    return noContent();
  },
  'POST /subscriptions/{id}/rotate-secret': async (event) =>
    json(200, await rotateSecret(await functionDeps.subscriptions(), pathParam(event, 'id'))),
  'GET /subscriptions/{id}/deliveries': async (event) =>
    json(200, await listDeliveries(await functionDeps.subscriptions(), pathParam(event, 'id'), parseQuery(event, DeliveryQuery))),
  'POST /subscriptions/{id}/test': async (event) =>
    json(202, await sendTestEvent(await functionDeps.subscriptions(), pathParam(event, 'id'))),
});
