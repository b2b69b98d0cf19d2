import {
  appDeps,
  assertApiKey,
  changeOfferStatus,
  checkOffer,
  getOffer,
  httpHandler,
  json,
  listCustomerOffers,
  OfferListQuery,
  OfferRequest,
  OfferStatusChange,
  parseJsonBody,
  parseQuery,
  pathParam,
  registerOffer,
  ValidationError,
} from '@patron/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** Optional; at most 255 characters, as in the IETF Idempotency-Key draft and Stripe. */
function idempotencyKey(event: APIGatewayProxyEventV2): string | undefined {
  const key = event.headers?.['idempotency-key']?.trim();
  if (key === undefined) return undefined;
  if (!key || key.length > 255) throw new ValidationError('Invalid Idempotency-Key', [{ path: 'header.Idempotency-Key', message: 'must be 1 to 255 characters' }]);
  return key;
}

export const handler = httpHandler(async (event) => {
  const deps = await appDeps();
  assertApiKey(event, deps.config.apiKeyHashes);
  switch (event.routeKey) {
    case 'POST /offers/check':
      return json(200, await checkOffer(deps, parseJsonBody(event, OfferRequest)));
    case 'POST /offers': {
      const key = idempotencyKey(event);
      const result = await registerOffer(deps, parseJsonBody(event, OfferRequest), { idempotencyKey: key });
      return json(result.status, result.body, result.replayed ? { 'idempotent-replayed': 'true' } : {});
    }
    case 'GET /offers/{id}':
      return json(200, await getOffer(deps, pathParam(event, 'id')));
    case 'PATCH /offers/{id}':
      return json(200, await changeOfferStatus(deps, pathParam(event, 'id'), parseJsonBody(event, OfferStatusChange)));
    case 'GET /customers/{id}/offers':
      return json(200, await listCustomerOffers(deps, pathParam(event, 'id'), parseQuery(event, OfferListQuery).status));
    default:
      throw new Error(`offers function wired to unexpected route ${event.routeKey}`);
  }
});
