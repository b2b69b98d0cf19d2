import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { flushRecordedMetrics, functionDeps, logger, runTick, tracer, type TickReport } from '@patron/core';

/**
 * EventBridge's scheduled event carries the time it was scheduled for: the tick acts at that time
 * (the local demo invokes it with a simulated time the same way).
 */
export const handler = middy<ScheduledEvent, TickReport>()
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(flushRecordedMetrics())
  .handler(async (event: ScheduledEvent) => {
    const at = event?.time && !Number.isNaN(Date.parse(event.time)) ? new Date(event.time) : new Date();
    return runTick(await functionDeps['playbook-tick'](), at);
  });
