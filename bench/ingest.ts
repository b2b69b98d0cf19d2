/**
 * Ingest benchmark: N unique signed webhooks through the real HTTP endpoint of the embedded stack
 * at fixed concurrency, against a baseline measured in the same run: raw PutItem of items of the
 * same size straight into the same DynamoDB Local. Prints the ratio last.
 *
 *   npm run bench:ingest -- [--requests 4000] [--concurrency 16] [--per-customer 8]
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ADAPTERS, buildDeps, createDocumentClient, useDeps, type CapacityMeter } from '@patron/core';
import { startStack } from '../local/stack.js';
import { percentile, runPool } from './pool.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '4000' },
    concurrency: { type: 'string', default: '16' },
    'per-customer': { type: 'string', default: '8' },
  },
});
const N = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);
const PER_CUSTOMER = Number(values['per-customer']);

function purchaseBody(i: number) {
  // Round-robin: concurrent deliveries mostly touch different customers, as in real traffic.
  const customer = i % Math.ceil(N / PER_CUSTOMER);
  return JSON.stringify({
    type: 'purchase',
    occurredAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
    customer: { email: `bench-${customer}@example.com`, externalId: `bench-${customer}` },
    data: {
      orderId: `bench-order-${i}`,
      currency: 'EUR',
      totalMinor: 1000 + (i % 50) * 100,
      items: [
        {
          sku: `SKU-${i % 40}`,
          productId: `prod-${i % 40}`,
          category: ['coffee', 'tea', 'kitchen', 'books'][i % 4]!,
          quantity: 1 + (i % 3),
          unitPriceMinor: 1000,
        },
      ],
    },
  });
}

async function main() {
  const stack = await startStack({ port: 0, log: () => {}, inProcess: true });
  try {
    let writeUnits = 0;
    const meter: CapacityMeter = { record: (u) => (writeUnits += u ?? 0) };
    useDeps(await buildDeps(stack.env, meter));
    const secret = stack.env.WEBHOOK_SECRET_GENERIC!.split(',')[0]!;
    const runId = randomUUID().slice(0, 8);

    const send = async (i: number, tag: string) => {
      const body = purchaseBody(i).replaceAll('bench-', `bench-${tag}-`);
      const headers = ADAPTERS.generic.sign(body, secret, new Date(), `${tag}-${i}`);
      const res = await fetch(`${stack.baseUrl}/webhooks/generic`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(headers as Record<string, string>) },
        body,
      });
      if (res.status !== 201) throw new Error(`delivery ${i}: HTTP ${res.status} ${await res.text()}`);
      await res.arrayBuffer().catch(() => undefined);
    };

    // Warm-up: JIT, connection pools, DynamoDB Local's first-touch costs.
    await runPool(Math.min(400, N), CONCURRENCY, (i) => send(i, `warm${runId}`));
    writeUnits = 0;

    const ingest = await runPool(N, CONCURRENCY, (i) => send(i, runId));
    const ingestWcu = writeUnits;

    // Baseline: raw PutItem of a touchpoint-sized item, same client library, same concurrency.
    const doc = createDocumentClient(stack.dynamodbEndpoint);
    const table = stack.env.TABLE_NAME!;
    const sample = purchaseBody(0);
    const put = await runPool(N, CONCURRENCY, async (i) => {
      await doc.send(new PutCommand({ TableName: table, Item: { pk: `BENCH#${runId}#${i}`, sk: 'RAW', payload: sample } }));
    });

    const ingestRate = N / ingest.seconds;
    const putRate = N / put.seconds;
    const customers = Math.ceil(N / PER_CUSTOMER);
    console.log(`requests ${N}, concurrency ${CONCURRENCY}, ${customers} customers (${PER_CUSTOMER} touchpoints each)`);
    console.log(
      `ingest:  ${ingestRate.toFixed(0)} webhooks/s   p50 ${percentile(ingest.latencies, 50).toFixed(1)} ms   p99 ${percentile(ingest.latencies, 99).toFixed(1)} ms`,
    );
    console.log(
      `PutItem: ${putRate.toFixed(0)} items/s      p50 ${percentile(put.latencies, 50).toFixed(1)} ms   p99 ${percentile(put.latencies, 99).toFixed(1)} ms`,
    );
    console.log(
      `write units per touchpoint: ${(ingestWcu / N).toFixed(2)} (reported by DynamoDB Local as ConsumedCapacity, incl. customer creation)`,
    );
    console.log(`ratio ingest/PutItem throughput: ${(ingestRate / putRate).toFixed(2)}`);
  } finally {
    useDeps(undefined);
    await stack.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
