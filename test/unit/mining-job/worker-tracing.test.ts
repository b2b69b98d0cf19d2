import { jest } from '@jest/globals';
import type { Context, SQSEvent } from 'aws-lambda';
import { logger, tracer } from '@patron/core';
import { handler } from '../../../functions/mining-worker/handler.js';

const context = { functionName: 'mining-worker', awsRequestId: 'r', getRemainingTimeInMillis: () => 300_000 } as unknown as Context;
const event = (body: string) =>
  ({ Records: [{ messageId: 'm1', body, attributes: { ApproximateReceiveCount: '1' }, eventSource: 'aws:sqs' }] }) as unknown as SQSEvent;

afterEach(() => jest.restoreAllMocks());

describe('mining worker tracing (captureLambdaHandler around the batch)', () => {
  it('traces the invocation and records the failure of a batch whose only record failed', async () => {
    // Tracing is off outside Lambda: fake the Lambda segment and the handler subsegment under it.
    const handlerSegment = { name: '## handler', close: jest.fn(), addError: jest.fn() };
    const lambdaSegment = { addNewSubsegment: jest.fn(() => handlerSegment), addError: jest.fn() };
    jest.spyOn(tracer, 'isTracingEnabled').mockReturnValue(true);
    jest.spyOn(tracer, 'getSegment').mockReturnValue(lambdaSegment as never);
    jest.spyOn(tracer, 'setSegment').mockImplementation(() => undefined);
    jest.spyOn(tracer, 'putAnnotation').mockImplementation(() => undefined);
    jest.spyOn(logger, 'info').mockImplementation(() => undefined);

    // Not a mining message: the record fails and, batchSize being 1, so does the batch.
    await expect(handler(event('{"kind":"nonsense"}'), context)).rejects.toThrow(/All records failed/);
    expect(lambdaSegment.addNewSubsegment).toHaveBeenCalledTimes(1);
    expect(lambdaSegment.addError).toHaveBeenCalledTimes(1);
    expect(handlerSegment.close).toHaveBeenCalledTimes(1);
  });
});
