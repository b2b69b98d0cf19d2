import {
  functionDeps,
  getRunView,
  json,
  listMiningRuns,
  parseJsonBody,
  parseQuery,
  pathParam,
  rawBody,
  routeHandler,
  RunListQuery,
  runView,
  startRun,
  StartRunBody,
} from '@patron/core';

export const handler = routeHandler('mining-runs', {
  'POST /mining-runs': async (event) => {
    const body = rawBody(event) ? parseJsonBody(event, StartRunBody) : {};
    const run = await startRun((await functionDeps['mining-runs']()).starter, { trigger: 'api', shards: body.shards });
    return json(202, runView(run), { location: `/mining-runs/${run.runId}` });
  },
  'GET /mining-runs': async (event) =>
    json(200, await listMiningRuns(await functionDeps['mining-runs'](), parseQuery(event, RunListQuery))),
  'GET /mining-runs/{id}': async (event) => json(200, await getRunView(await functionDeps['mining-runs'](), pathParam(event, 'id'))),
});
