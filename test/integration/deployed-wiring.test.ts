/**
 * Wiring mistakes fail locally, not in AWS: the stack is synthesized with a grant or a variable
 * removed from infra/definitions.ts, then its functions run from their bundles with exactly what
 * that template gives them (local/deployed/), against the emulators of the running test stack.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { FUNCTIONS, type FunctionDefinition } from '../../infra/definitions.js';
import type { DeployedRuntime } from '../../local/deployed/runtime.js';
import { runtimeOnTestStack } from '../helpers/deployed.js';
import { synthesize } from '../../local/deployed/synth.js';
import type { CfnTemplate } from '../../local/deployed/template.js';
import { buildRouteTable, matchRoute, toApiGatewayEvent } from '../../local/http.js';
import { synthPatron } from '../infra/synth.js';
import { paginateScan } from '@aws-sdk/lib-dynamodb';
import { documentClient, stackInfo } from '../helpers/stack.js';
import { deliver, purchase, uniqueEmail } from '../helpers/webhooks.js';

jest.setTimeout(120_000);

/** FUNCTIONS with one definition changed. */
const withChange = (name: string, change: (d: FunctionDefinition) => FunctionDefinition): FunctionDefinition[] =>
  FUNCTIONS.map((d) => (d.name === name ? change(d) : d));

async function runtimeFor(definitions: FunctionDefinition[]): Promise<DeployedRuntime> {
  const { outdir } = synthPatron({ definitions, cfnValidation: false });
  const template = JSON.parse(readFileSync(join(outdir, 'Patron.template.json'), 'utf8')) as CfnTemplate;
  return runtimeFromAssembly({ dir: outdir, template, cached: false });
}

const runtimeFromAssembly = runtimeOnTestStack;

/** Invokes the function behind `method path` with an API Gateway v2 event, as the HTTP API would. */
async function call(runtime: DeployedRuntime, method: string, url: string, body?: unknown): Promise<APIGatewayProxyStructuredResultV2> {
  const match = matchRoute(buildRouteTable(runtime.functions), method, url.split('?')[0]!);
  if (!match) throw new Error(`no route for ${method} ${url}`);
  const payload = Buffer.from(body === undefined ? '' : JSON.stringify(body));
  const event = toApiGatewayEvent(
    {
      method,
      url,
      rawHeaders: ['x-api-key', stackInfo().apiKey, 'content-type', 'application/json'],
      body: payload,
      sourceIp: '127.0.0.1',
      httpVersion: '1.1',
    },
    match,
  );
  return (await runtime.invoke(match.route.fn.name, event)) as APIGatewayProxyStructuredResultV2;
}

describe('a definition that lacks what its code needs fails locally', () => {
  let runtime: DeployedRuntime;
  beforeAll(async () => {
    // Two mistakes in one synthesis (it bundles every function): mining-runs loses its queue
    // (variable and grant), offers loses write access to the table.
    runtime = await runtimeFor(
      withChange('offers', (d) => ({ ...d, table: 'read' })).map((d) =>
        d.name === 'mining-runs' ? (({ miningQueue: _, ...rest }) => rest)(d) : d,
      ),
    );
  });
  afterAll(() => runtime?.close());

  it('starts no mining run when mining-runs has no queue: the variable is missing from its environment', async () => {
    const fn = runtime.functions.find((f) => f.name === 'mining-runs')!;
    expect(fn.env.MINING_QUEUE_URL).toBeUndefined();
    const res = await call(runtime, 'POST', '/mining-runs', {});
    expect(res.statusCode).toBe(500);
  });

  it('refuses the write with AccessDenied when offers may only read the table', async () => {
    const delivered = await deliver('generic', purchase({ email: uniqueEmail('wiring') }, 4_200));
    expect(delivered.status).toBe(201);
    const res = await call(runtime, 'POST', '/offers', {
      customerId: delivered.body.customerId,
      kind: 'offer',
      productId: 'wiring-test',
      channel: 'branch',
      team: 'wiring-test',
    });
    // Not 409: the same offer passes every rule on the real stack (offers.test.ts); here only the write fails.
    expect(res.statusCode).toBe(500);
    const denied = runtime.gateway.denials.filter((d) => d.functionName === 'offers');
    expect(denied.length).toBeGreaterThan(0);
    // A registration is one TransactWriteItems; IAM authorizes its items as PutItem/UpdateItem.
    expect(denied[0]!.action).toMatch(/^dynamodb:(PutItem|UpdateItem|ConditionCheckItem)$/);
  });

  it('still serves what the definition does allow (reads)', async () => {
    const res = await call(runtime, 'GET', '/offers/does-not-exist');
    expect(res.statusCode).toBe(404);
    expect(runtime.gateway.denials.filter((d) => d.functionName === 'offers' && d.action === 'dynamodb:GetItem')).toEqual([]);
  });
});

describe('the real definitions', () => {
  it('start a mining run through the synthesized mining-runs function (202) and give it no bucket', async () => {
    const res = await fetch(`${stackInfo().baseUrl}/mining-runs`, {
      method: 'POST',
      headers: { 'x-api-key': stackInfo().apiKey, 'content-type': 'application/json' },
      body: '{"shards":1}',
    });
    expect(res.status).toBe(202);
  });
});

describe('the scheduled rule', () => {
  it('delivers its input to the mining queue, and the worker runs a scheduled mining run to completion', async () => {
    // The same (cached) assembly the test stack runs; firing its rule puts the rule's input on the
    // shared mining queue, which the test stack's worker drains.
    const assembly = await synthesize({
      context: stackInfo().env.OFFER_RULES ? { offerRules: stackInfo().env.OFFER_RULES! } : {},
      log: () => {},
    });
    expect(assembly.cached).toBe(true);
    const runtime = await runtimeFromAssembly(assembly);
    // Every page: a filtered Scan returns at most 1 MB per call, and the table is shared by all suites.
    const scheduledRuns = async () => {
      const runs: { runId: string; phase: string }[] = [];
      for await (const page of paginateScan(
        { client: documentClient() },
        {
          TableName: stackInfo().tableName,
          FilterExpression: '#t = :s',
          ExpressionAttributeNames: { '#t': 'trigger' },
          ExpressionAttributeValues: { ':s': 'schedule' },
        },
      )) {
        runs.push(...((page.Items ?? []) as { runId: string; phase: string }[]));
      }
      return runs;
    };
    const before = new Set((await scheduledRuns()).map((r) => r.runId));
    try {
      // The daily mining rule and the playbook tick's: each fired once.
      const fired = await runtime.fireSchedules();
      expect(fired).toHaveLength(2);
      expect(fired.some((id) => id.startsWith('MiningScheduledRun'))).toBe(true);
    } finally {
      await runtime.close();
    }
    const deadline = Date.now() + 90_000;
    let run: { runId: string; phase: string } | undefined;
    while (Date.now() < deadline) {
      run = (await scheduledRuns()).find((r) => !before.has(r.runId));
      if (run && (run.phase === 'completed' || run.phase === 'failed')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(run?.phase).toBe('completed');
  });
});
