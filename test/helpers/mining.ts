import { expect } from '@jest/globals';
import { api } from './stack.js';

/** Polls a mining run until `done` (default: completed or failed). */
export async function waitForRun(runId: string, done: (run: any) => boolean = (r) => r.phase === 'completed' || r.phase === 'failed') {
  for (let i = 0; i < 600; i++) {
    const run = await (await api(`/mining-runs/${runId}`)).json();
    if (done(run)) return run;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`run ${runId} did not finish`);
}

/** Starts a run through the API (202) and answers its id. */
export async function startRun(shards = 3): Promise<string> {
  const res = await api('/mining-runs', {
    method: 'POST',
    body: JSON.stringify({ shards }),
    headers: { 'content-type': 'application/json' },
  });
  expect(res.status).toBe(202);
  return (await res.json()).runId as string;
}
