import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ConsoleFile, consoleConfigOf, consoleResponse, functionDeps, loadConsoleFiles, routeHandler } from '@patron/core';

// The build sits beside this bundle (infra/constructs/patron-function.ts runs console/build.ts into
// it); read once per container, on the first request.
let files: Map<string, ConsoleFile> | undefined;
const built = () => {
  files ??= loadConsoleFiles(join(dirname(fileURLToPath(import.meta.url)), 'console'));
  return files;
};
const config = async () => consoleConfigOf((await functionDeps.console()).config);

export const handler = routeHandler('console', {
  'GET /console': async () => consoleResponse(built(), undefined, await config()),
  'GET /console/{file}': async (event) => consoleResponse(built(), event.pathParameters?.file, await config()),
});
