import { jest } from '@jest/globals';
import { tracer } from '@patron/core';

/**
 * Tracing is off outside Lambda, so the X-Ray side is faked: the Lambda segment and the handler
 * subsegment captureLambdaHandler opens under it. Restore with jest.restoreAllMocks().
 */
export function fakeTracing() {
  const handlerSegment = { name: '## handler', close: jest.fn(), addError: jest.fn() };
  const lambdaSegment = { addNewSubsegment: jest.fn(() => handlerSegment), addError: jest.fn() };
  jest.spyOn(tracer, 'isTracingEnabled').mockReturnValue(true);
  jest.spyOn(tracer, 'getSegment').mockReturnValue(lambdaSegment as never);
  jest.spyOn(tracer, 'setSegment').mockImplementation(() => undefined);
  jest.spyOn(tracer, 'putAnnotation').mockImplementation(() => undefined);
  const putMetadata = jest.spyOn(tracer, 'putMetadata').mockImplementation(() => undefined);
  return { handlerSegment, lambdaSegment, putMetadata };
}
