import { functionDeps, ingestWebhook, json, pathParam, rawBody, routeHandler } from '@patron/core';

const STATUS = { stored: 201, duplicate: 200, ignored: 202 } as const;

export const handler = routeHandler(
  'webhook',
  {
    // Authenticated by the source's signature on the raw body, inside the ingest.
    'POST /webhooks/{source}': async (event) => {
      const result = await ingestWebhook(await functionDeps.webhook(), pathParam(event, 'source'), rawBody(event), event.headers ?? {});
      return json(STATUS[result.status], {
        ...result,
        ...(result.status === 'duplicate' ? { duplicate: true } : {}),
        ...(result.status === 'ignored' ? { ignored: true } : {}),
      });
    },
  },
  { emitsMetrics: true },
);
