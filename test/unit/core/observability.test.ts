import type { Metrics } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import { flushRecordedMetrics, tracer } from '@patron/core';

describe('Tracer outside Lambda', () => {
  it('is disabled, and captureAWSv3Client hands the client back untouched', () => {
    expect(tracer.isTracingEnabled()).toBe(false);
    const client = new S3Client({ region: 'eu-west-1' });
    const before = client.middlewareStack.identify();
    expect(tracer.captureAWSv3Client(client)).toBe(client);
    expect(client.middlewareStack.identify()).toEqual(before);
    client.destroy();
  });
});

describe('flushRecordedMetrics', () => {
  const fake = (stored: boolean) => {
    const calls: string[] = [];
    const m = { hasStoredMetrics: () => stored, publishStoredMetrics: () => void calls.push('publish') } as unknown as Metrics;
    return { m, calls };
  };
  const request = {} as never;

  it('publishes after the handler and on error when something was recorded', async () => {
    const { m, calls } = fake(true);
    const middleware = flushRecordedMetrics(m);
    await middleware.after!(request);
    await middleware.onError!(request);
    expect(calls).toEqual(['publish', 'publish']);
  });

  it('skips an empty flush (which would log a warning on every invocation)', async () => {
    const { m, calls } = fake(false);
    const middleware = flushRecordedMetrics(m);
    await middleware.after!(request);
    await middleware.onError!(request);
    expect(calls).toEqual([]);
  });
});
