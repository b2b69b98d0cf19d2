import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { flushRecordedMetrics, functionDeps, handleOutboundMessage, logger, OutboundMessage, tracer } from '@patron/core';

const processor = new BatchProcessor(EventType.SQS);

/** A message that throws is retried by SQS (an event's fan-out, a store error) and parked in the DLQ after maxReceiveCount. */
async function processRecord(record: SQSRecord): Promise<void> {
  const message = OutboundMessage.parse(JSON.parse(record.body));
  logger.debug('outbound message', { kind: message.kind });
  await handleOutboundMessage(await functionDeps.outbound(), message);
}

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(flushRecordedMetrics())
  // In parallel: each delivery mostly waits on a receiver (up to 10 s); the per-endpoint lease bounds each receiver's share.
  .handler((event: SQSEvent, context: Context) =>
    processPartialResponse(event, processRecord, processor, { context, processInParallel: true }),
  );
