import { functionDeps, json, routeHandler } from '@patron/core';

/** Liveness plus a cheap read against the table, so a broken deployment shows up here first. */
export const handler = routeHandler('health', {
  'GET /health': async () => {
    const { store } = await functionDeps.health();
    const started = Date.now();
    await store.ping();
    return json(200, { status: 'ok', table: { reachable: true, latencyMs: Date.now() - started } });
  },
});
