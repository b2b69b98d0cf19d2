import { appDeps, getRunView, json, parseJsonBody, pathParam, rawBody, routeHandler, runView, startRun, StartRunBody } from '@patron/core';

export const handler = routeHandler('mining-runs', {
  'POST /mining-runs': async (event) => {
    const body = rawBody(event) ? parseJsonBody(event, StartRunBody) : {};
    const run = await startRun((await appDeps()).runStarter(), { trigger: 'api', shards: body.shards });
    return json(202, runView(run), { location: `/mining-runs/${run.runId}` });
  },
  'GET /mining-runs/{id}': async (event) => json(200, await getRunView(await appDeps(), pathParam(event, 'id'))),
});
