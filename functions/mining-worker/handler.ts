import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord, Context } from 'aws-lambda';
import { functionDeps, flushRecordedMetrics, handleMiningMessage, logger, MINING_MAX_RECEIVES, MiningMessage, tracer } from '@patron/core';

const processor = new BatchProcessor(EventType.SQS);

/** A message that fails here is retried by SQS and parked in the DLQ after maxReceiveCount. */
async function processRecord(record: SQSRecord): Promise<void> {
  const message = MiningMessage.parse(JSON.parse(record.body));
  const runId = 'runId' in message ? message.runId : undefined;
  logger.info('mining message', { kind: message.kind, runId, shard: 'shard' in message ? message.shard : undefined });
  // Annotations make a run's traces searchable in X-Ray (one message per invocation: batchSize 1).
  tracer.putAnnotation('miningMessage', message.kind);
  if (runId) tracer.putAnnotation('runId', runId);
  const finalAttempt = Number(record.attributes.ApproximateReceiveCount) >= MINING_MAX_RECEIVES;
  await handleMiningMessage(await functionDeps['mining-worker'](), message, { finalAttempt });
}

export const handler = middy<SQSEvent, SQSBatchResponse>()
  // With batchSize 1 a failed record fails the whole batch, so processPartialResponse throws and
  // the handler subsegment records the error.
  .use(captureLambdaHandler(tracer))
  // Log lines carry the Lambda context (request id, cold start), as every HTTP function's do.
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(flushRecordedMetrics())
  .handler((event: SQSEvent, context: Context) =>
    // Sequential: a shard holds a whole scan segment in memory; two at once would double the peak.
    processPartialResponse(event, processRecord, processor, { context, processInParallel: false }),
  );
