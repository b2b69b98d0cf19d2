import { jest } from '@jest/globals';
import type { Context, SQSEvent } from 'aws-lambda';
import { logger } from '@patron/core';
import { fakeTracing } from '../../helpers/fake-tracing.js';
import { handler } from '../../../functions/mining-worker/handler.js';

const context = { functionName: 'mining-worker', awsRequestId: 'r', getRemainingTimeInMillis: () => 300_000 } as unknown as Context;
const event = (body: string) =>
  ({ Records: [{ messageId: 'm1', body, attributes: { ApproximateReceiveCount: '1' }, eventSource: 'aws:sqs' }] }) as unknown as SQSEvent;

afterEach(() => jest.restoreAllMocks());

describe('mining worker tracing (captureLambdaHandler around the batch)', () => {
  it('traces the invocation and records the failure of a batch whose only record failed', async () => {
    const { handlerSegment, lambdaSegment } = fakeTracing();
    jest.spyOn(logger, 'info').mockImplementation(() => undefined);

    // Not a mining message: the record fails and, batchSize being 1, so does the batch.
    await expect(handler(event('{"kind":"nonsense"}'), context)).rejects.toThrow(/All records failed/);
    expect(lambdaSegment.addNewSubsegment).toHaveBeenCalledTimes(1);
    expect(lambdaSegment.addError).toHaveBeenCalledTimes(1);
    expect(handlerSegment.close).toHaveBeenCalledTimes(1);
  });
});
