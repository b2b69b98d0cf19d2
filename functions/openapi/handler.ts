import { httpHandler, json, openApiDocument } from '@patron/core';

export const handler = httpHandler(async () => json(200, openApiDocument()));
