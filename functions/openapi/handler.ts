import { json, openApiDocument, routeHandler } from '@patron/core';

export const handler = routeHandler('openapi', { 'GET /openapi.json': async () => json(200, openApiDocument()) });
