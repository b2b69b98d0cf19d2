import type { Message } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { judgeBatch, toSqsEvent, toSqsRecord } from '../../../local/sqs-poller.js';

const arn = 'arn:aws:sqs:us-east-1:000000000000:patron-local-mining';

describe('toSqsRecord', () => {
  const message: Message = {
    MessageId: 'm-1',
    ReceiptHandle: 'rh-1',
    Body: '{"segment":"vip"}',
    MD5OfBody: 'md5body',
    MD5OfMessageAttributes: 'md5attrs',
    Attributes: {
      ApproximateReceiveCount: '3',
      SentTimestamp: '1700000000000',
      SenderId: 'AIDA',
      ApproximateFirstReceiveTimestamp: '1700000000500',
    },
    MessageAttributes: {
      kind: { DataType: 'String', StringValue: 'scheduled-run' },
      blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
    },
  };

  it('shapes a message as a Lambda SQS record', () => {
    expect(toSqsRecord(message, arn)).toEqual({
      messageId: 'm-1',
      receiptHandle: 'rh-1',
      body: '{"segment":"vip"}',
      attributes: {
        ApproximateReceiveCount: '3',
        SentTimestamp: '1700000000000',
        SenderId: 'AIDA',
        ApproximateFirstReceiveTimestamp: '1700000000500',
      },
      messageAttributes: {
        kind: { stringValue: 'scheduled-run', stringListValues: [], binaryListValues: [], dataType: 'String' },
        blob: { binaryValue: 'AQID', stringListValues: [], binaryListValues: [], dataType: 'Binary' },
      },
      md5OfBody: 'md5body',
      md5OfMessageAttributes: 'md5attrs',
      eventSource: 'aws:sqs',
      eventSourceARN: arn,
      awsRegion: 'us-east-1',
    });
  });

  it('leaves md5OfMessageAttributes out when the message has no attributes', () => {
    const record = toSqsRecord({ MessageId: 'x', ReceiptHandle: 'y', Body: 'b', MD5OfBody: 'm' }, arn);
    expect(record).not.toHaveProperty('md5OfMessageAttributes');
    expect(record.messageAttributes).toEqual({});
  });

  it('wraps a batch in Records, in order', () => {
    expect(toSqsEvent([{ MessageId: 'a' }, { MessageId: 'b' }], arn).Records.map((r) => r.messageId)).toEqual(['a', 'b']);
  });
});

describe('judgeBatch (ReportBatchItemFailures)', () => {
  const records = ['a', 'b', 'c'].map((id) => ({ messageId: id }) as SQSRecord);
  const ids = (rs: SQSRecord[]) => rs.map((r) => r.messageId);
  const ok = (result: unknown) => judgeBatch(records, { ok: true, result });

  it('deletes everything on a void, null or empty response', () => {
    for (const result of [undefined, null, {}, { batchItemFailures: [] }, { batchItemFailures: null }]) {
      const verdict = ok(result);
      expect(ids(verdict.succeeded)).toEqual(['a', 'b', 'c']);
      expect(verdict.failed).toEqual([]);
    }
  });

  it('keeps only the listed failures', () => {
    const verdict = ok({ batchItemFailures: [{ itemIdentifier: 'b' }] });
    expect(ids(verdict.succeeded)).toEqual(['a', 'c']);
    expect(ids(verdict.failed)).toEqual(['b']);
    expect(verdict.reason).toBeUndefined();
  });

  it('fails the whole batch when the handler threw', () => {
    const verdict = judgeBatch(records, { ok: false, error: new Error('boom') });
    expect(verdict.succeeded).toEqual([]);
    expect(ids(verdict.failed)).toEqual(['a', 'b', 'c']);
    expect(verdict.reason).toContain('boom');
  });

  it('fails the whole batch on an invalid response, as Lambda does', () => {
    for (const result of [
      { batchItemFailures: [{ itemIdentifier: '' }] },
      { batchItemFailures: [{ itemIdentifier: null }] },
      { batchItemFailures: [{ id: 'a' }] },
      { batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] },
      { batchItemFailures: 'a' },
      'a string',
    ]) {
      expect(ok(result).succeeded).toEqual([]);
    }
  });

  it('ignores the response without ReportBatchItemFailures', () => {
    const verdict = judgeBatch(records, { ok: true, result: { batchItemFailures: [{ itemIdentifier: 'b' }] } }, false);
    expect(ids(verdict.succeeded)).toEqual(['a', 'b', 'c']);
  });
});
