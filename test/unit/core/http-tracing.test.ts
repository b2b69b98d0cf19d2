import { jest } from '@jest/globals';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { houseMiddleware, json, logger, NotFoundError } from '@patron/core';
import { fakeTracing } from '../../helpers/fake-tracing.js';

const event = { headers: {}, requestContext: { http: { method: 'GET' } } } as unknown as APIGatewayProxyEventV2;
const context = { functionName: 'f', awsRequestId: 'r', getRemainingTimeInMillis: () => 5000 } as unknown as Context;

afterEach(() => jest.restoreAllMocks());

describe('house middleware tracing (captureLambdaHandler)', () => {
  it('opens and closes a handler subsegment without recording the response (it holds customer data)', async () => {
    const { handlerSegment, lambdaSegment, putMetadata } = fakeTracing();
    const res = await houseMiddleware().handler(async () => json(200, { email: 'ann@example.com' }))(event, context);
    expect(res.statusCode).toBe(200);
    expect(lambdaSegment.addNewSubsegment).toHaveBeenCalledTimes(1);
    expect(handlerSegment.close).toHaveBeenCalledTimes(1);
    expect(putMetadata).not.toHaveBeenCalled();
  });

  it('does not mark a domain 4xx (errorsToHttp answers it) as a fault', async () => {
    const { handlerSegment, lambdaSegment } = fakeTracing();
    const res = await houseMiddleware().handler(async () => {
      throw new NotFoundError('no such customer');
    })(event, context);
    expect(res.statusCode).toBe(404);
    expect(lambdaSegment.addError).not.toHaveBeenCalled();
    expect(handlerSegment.close).toHaveBeenCalledTimes(1);
  });

  it('records an unexpected error on the trace, and still answers a bare 500', async () => {
    const { handlerSegment, lambdaSegment } = fakeTracing();
    const logged = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    const boom = new Error('boom');
    const res = await houseMiddleware().handler(async () => {
      throw boom;
    })(event, context);
    expect(res.statusCode).toBe(500);
    expect(logged).toHaveBeenCalledTimes(1);
    expect(lambdaSegment.addError).toHaveBeenCalledWith(boom, false);
    expect(handlerSegment.close).toHaveBeenCalledTimes(1);
  });
});

describe('house middleware timeout', () => {
  it('answers 504 timeout as JSON shortly before the Lambda timeout instead of letting the function die', async () => {
    jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    const deadline = Date.now() + 700;
    const shortContext = { ...context, getRemainingTimeInMillis: () => deadline - Date.now() } as Context;
    const started = Date.now();
    const res = await houseMiddleware().handler(() => new Promise(() => {}))(event, shortContext);
    expect(res).toMatchObject({ statusCode: 504 });
    expect(JSON.parse((res as { body: string }).body)).toMatchObject({ error: 'timeout' });
    expect(Date.now() - started).toBeLessThan(700);
  });
});
