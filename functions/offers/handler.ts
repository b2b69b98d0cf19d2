import {
  AssignmentRequest,
  assignCustomer,
  assignCustomers,
  assignFromFlags,
  BatchAssignmentRequest,
  CampaignCreate,
  CampaignListQuery,
  CampaignStatusChange,
  createCampaign,
  endCampaign,
  getCampaign,
  getCampaignResults,
  listCampaigns,
  functionDeps,
  changeOfferStatus,
  checkOffer,
  getOffer,
  json,
  listCustomerOffers,
  OfferListQuery,
  OfferRequest,
  OfferStatusChange,
  parseJsonBody,
  parseQuery,
  pathParam,
  registerOffer,
  routeHandler,
  ValidationError,
} from '@patron/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** Optional; at most 255 characters, as in the IETF Idempotency-Key draft and Stripe. */
function idempotencyKey(event: APIGatewayProxyEventV2): string | undefined {
  const key = event.headers?.['idempotency-key']?.trim();
  if (key === undefined) return undefined;
  if (!key || key.length > 255)
    throw new ValidationError('Invalid Idempotency-Key', [{ path: 'header.Idempotency-Key', message: 'must be 1 to 255 characters' }]);
  return key;
}

export const handler = routeHandler('offers', {
  'POST /offers/check': async (event) => json(200, await checkOffer(await functionDeps.offers(), parseJsonBody(event, OfferRequest))),
  'POST /offers': async (event) => {
    const key = idempotencyKey(event);
    const result = await registerOffer(await functionDeps.offers(), parseJsonBody(event, OfferRequest), { idempotencyKey: key });
    return json(result.status, result.body, result.replayed ? { 'idempotent-replayed': 'true' } : {});
  },
  'GET /offers/{id}': async (event) => json(200, await getOffer(await functionDeps.offers(), pathParam(event, 'id'))),
  'PATCH /offers/{id}': async (event) =>
    json(200, await changeOfferStatus(await functionDeps.offers(), pathParam(event, 'id'), parseJsonBody(event, OfferStatusChange))),
  'GET /customers/{id}/offers': async (event) =>
    json(200, await listCustomerOffers(await functionDeps.offers(), pathParam(event, 'id'), parseQuery(event, OfferListQuery).status)),
  'POST /campaigns': async (event) => json(201, await createCampaign(await functionDeps.offers(), parseJsonBody(event, CampaignCreate))),
  'GET /campaigns': async (event) => json(200, await listCampaigns(await functionDeps.offers(), parseQuery(event, CampaignListQuery))),
  'GET /campaigns/{id}': async (event) => json(200, await getCampaign(await functionDeps.offers(), pathParam(event, 'id'))),
  'PATCH /campaigns/{id}': async (event) =>
    json(200, await endCampaign(await functionDeps.offers(), pathParam(event, 'id'), parseJsonBody(event, CampaignStatusChange))),
  'POST /campaigns/{id}/assignments': async (event) =>
    json(200, await assignCustomer(await functionDeps.offers(), pathParam(event, 'id'), parseJsonBody(event, AssignmentRequest))),
  'POST /campaigns/{id}/assignments/batch': async (event) => {
    const body = parseJsonBody(event, BatchAssignmentRequest);
    const deps = await functionDeps.offers();
    return json(
      200,
      body.fromFlags
        ? await assignFromFlags(deps, pathParam(event, 'id'), body.fromFlags)
        : await assignCustomers(deps, pathParam(event, 'id'), body.customerIds ?? []),
    );
  },
  'GET /campaigns/{id}/results': async (event) => json(200, await getCampaignResults(await functionDeps.offers(), pathParam(event, 'id'))),
});
