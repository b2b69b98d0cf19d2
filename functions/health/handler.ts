import { appDeps, httpHandler, json } from '@patron/core';

/** Liveness plus a cheap read against the table, so a broken deployment shows up here first. */
export const handler = httpHandler(async () => {
  const { store } = await appDeps();
  const started = Date.now();
  await store.ping();
  return json(200, { status: 'ok', table: { reachable: true, latencyMs: Date.now() - started } });
});
