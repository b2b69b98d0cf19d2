import { appDeps, assertApiKey, getRunView, httpHandler, json, parseJsonBody, pathParam, rawBody, runView, startRun, StartRunBody } from '@patron/core';

export const handler = httpHandler(async (event) => {
  const deps = await appDeps();
  assertApiKey(event, deps.config.apiKeyHashes);
  if (event.routeKey === 'POST /mining-runs') {
    const body = rawBody(event) ? parseJsonBody(event, StartRunBody) : {};
    const run = await startRun(deps.runStarter(), { trigger: 'api', shards: body.shards });
    return json(202, runView(run), { location: `/mining-runs/${run.runId}` });
  }
  return json(200, await getRunView(deps, pathParam(event, 'id')));
});
