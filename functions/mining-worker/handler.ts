import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSEvent, SQSRecord, Context } from 'aws-lambda';
import { appDeps, handleMiningMessage, logger, miningEngine, MINING_MAX_RECEIVES, MiningMessage } from '@patron/core';

const processor = new BatchProcessor(EventType.SQS);

/** A message that fails here is retried by SQS and parked in the DLQ after maxReceiveCount. */
async function processRecord(record: SQSRecord): Promise<void> {
  const message = MiningMessage.parse(JSON.parse(record.body));
  logger.info('mining message', { kind: message.kind, runId: 'runId' in message ? message.runId : undefined, shard: 'shard' in message ? message.shard : undefined });
  const deps = await appDeps();
  const finalAttempt = Number(record.attributes.ApproximateReceiveCount) >= MINING_MAX_RECEIVES;
  await handleMiningMessage(deps.miningJob(miningEngine), message, { finalAttempt });
}

export const handler = async (event: SQSEvent, context: Context) =>
  // Sequential: a shard holds a whole scan segment in memory; two at once would double the peak.
  processPartialResponse(event, processRecord, processor, { context, processInParallel: false });
