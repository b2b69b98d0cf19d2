import {
  createPlaybook,
  deletePlaybook,
  noContent,
  functionDeps,
  getPlaybook,
  json,
  listPlaybooks,
  parseJsonBody,
  patchPlaybook,
  pathParam,
  PlaybookCreate,
  PlaybookPatch,
  routeHandler,
} from '@patron/core';

export const handler = routeHandler('playbooks', {
  'POST /playbooks': async (event) => json(201, await createPlaybook(await functionDeps.playbooks(), parseJsonBody(event, PlaybookCreate))),
  'GET /playbooks': async () => json(200, await listPlaybooks(await functionDeps.playbooks())),
  'GET /playbooks/{id}': async (event) => json(200, await getPlaybook(await functionDeps.playbooks(), pathParam(event, 'id'))),
  'DELETE /playbooks/{id}': async (event) => {
    await deletePlaybook(await functionDeps.playbooks(), pathParam(event, 'id'));
    return noContent();
  },
  'PATCH /playbooks/{id}': async (event) =>
    json(200, await patchPlaybook(await functionDeps.playbooks(), pathParam(event, 'id'), parseJsonBody(event, PlaybookPatch))),
});
