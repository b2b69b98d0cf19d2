import { appDeps, httpHandler, ingestWebhook, json, pathParam, rawBody } from '@patron/core';

const STATUS = { stored: 201, duplicate: 200, ignored: 202 } as const;

export const handler = httpHandler(async (event) => {
  const result = await ingestWebhook(await appDeps(), pathParam(event, 'source'), rawBody(event), event.headers ?? {});
  return json(STATUS[result.status], {
    ...result,
    ...(result.status === 'duplicate' ? { duplicate: true } : {}),
    ...(result.status === 'ignored' ? { ignored: true } : {}),
  });
}, { emitsMetrics: true });
