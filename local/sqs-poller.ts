/**
 * Emulates Lambda's SQS event source mapping for queue-triggered functions: long-polls the queue,
 * hands batches to the handler as an `SQSEvent`, and deletes what succeeded under
 * `ReportBatchItemFailures` semantics. Failed messages are left alone: they become visible again
 * after the queue's visibility timeout, and once a message has been received `maxReceiveCount`
 * times fauxqs moves it to the DLQ named in the queue's RedrivePolicy (the same place SQS does
 * it, so nothing here imitates the redrive).
 *
 * Differences from Lambda, on purpose: one poller per queue and batches handled one at a time (Lambda
 * scales pollers and runs batches concurrently), no batching window, and at most 10 messages per
 * batch (one ReceiveMessage call; Lambda can gather up to 10,000 with a batching window).
 */
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSMessageAttribute, SQSRecord } from 'aws-lambda';
import { MINING_QUEUE, type FunctionDefinition } from '../infra/definitions.js';
import { DEFAULT_TIMEOUT_SECONDS, createLambdaContext, invokeWithTimeout, type LambdaHandler } from './lambda.js';
import { LOCAL_REGION, sleep, stderrLog, type Log } from './util.js';

// biome-ignore lint/suspicious/noConfusingVoidType: a Lambda handler may return nothing; aws-lambda's own Handler type says void too.
export type SqsHandler = LambdaHandler<SQSEvent, SQSBatchResponse | void | undefined | null>;

// ---- message -> record ------------------------------------------------------------------------

const base64 = (bytes: Uint8Array | undefined): string | undefined =>
  bytes === undefined ? undefined : Buffer.from(bytes).toString('base64');

function toRecordAttribute(value: MessageAttributeValue): SQSMessageAttribute {
  return {
    ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
    ...(value.BinaryValue !== undefined ? { binaryValue: base64(value.BinaryValue) } : {}),
    stringListValues: value.StringListValues ?? [],
    binaryListValues: (value.BinaryListValues ?? []).map((b) => base64(b)!),
    dataType: value.DataType ?? 'String',
  };
}

/** One received message as Lambda puts it in `event.Records`. */
export function toSqsRecord(message: Message, queueArn: string, region = LOCAL_REGION): SQSRecord {
  const attributes = (message.Attributes ?? {}) as Record<string, string>;
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ...attributes,
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? '',
      SenderId: attributes.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? '',
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, toRecordAttribute(value)]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

export function toSqsEvent(messages: readonly Message[], queueArn: string, region = LOCAL_REGION): SQSEvent {
  return { Records: messages.map((m) => toSqsRecord(m, queueArn, region)) };
}

// ---- handler outcome -> what to delete --------------------------------------------------------

export type BatchOutcome = { ok: true; result: unknown } | { ok: false; error: unknown };

export interface BatchVerdict {
  /** Records to delete from the queue. */
  succeeded: SQSRecord[];
  /** Records left on the queue (they come back after the visibility timeout). */
  failed: SQSRecord[];
  /** Why the whole batch counted as failed, when it did. */
  reason?: string;
}

/**
 * Lambda's rules with `FunctionResponseTypes: ['ReportBatchItemFailures']`
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html):
 * - complete success: null/undefined response, or an empty or null `batchItemFailures`;
 * - partial: only the listed message ids failed;
 * - complete failure: the handler threw, or the response is not a valid batch response (an
 *   itemIdentifier that is missing, empty, not a string, or not a message id of the batch).
 * Without ReportBatchItemFailures the response is ignored and only a throw fails the batch.
 */
export function judgeBatch(records: readonly SQSRecord[], outcome: BatchOutcome, reportBatchItemFailures = true): BatchVerdict {
  const all = (reason: string): BatchVerdict => ({ succeeded: [], failed: [...records], reason });
  if (!outcome.ok) {
    return all(`handler failed: ${outcome.error instanceof Error ? outcome.error.message : String(outcome.error)}`);
  }
  const { result } = outcome;
  if (!reportBatchItemFailures || result === undefined || result === null) return { succeeded: [...records], failed: [] };
  if (typeof result !== 'object' || Array.isArray(result)) return all('the response is not a batch response object');
  const failures = (result as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { succeeded: [...records], failed: [] };
  if (!Array.isArray(failures)) return all('batchItemFailures is not an array');
  const ids = new Set(records.map((r) => r.messageId));
  const failedIds = new Set<string>();
  for (const failure of failures as unknown[]) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '' || !ids.has(id)) {
      return all(`invalid itemIdentifier ${JSON.stringify(id)} in batchItemFailures`);
    }
    failedIds.add(id);
  }
  return {
    succeeded: records.filter((r) => !failedIds.has(r.messageId)),
    failed: records.filter((r) => failedIds.has(r.messageId)),
  };
}

// ---- poller -----------------------------------------------------------------------------------

export interface SqsPollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  /** The function's handler, or a way to get it per batch (e.g. a lazy import). */
  handler: SqsHandler | (() => Promise<SqsHandler>);
  /** Whether `handler` is a loader (`() => Promise<handler>`) rather than the handler itself. */
  lazy?: boolean;
  /** For the Lambda context (name, timeout, memory). */
  fn?: Pick<FunctionDefinition, 'name' | 'timeoutSeconds' | 'memoryMb'>;
  /** Messages per batch (1-10 here); MINING_QUEUE.batchSize by default. */
  batchSize?: number;
  /** Long-poll duration per ReceiveMessage call. */
  waitTimeSeconds?: number;
  reportBatchItemFailures?: boolean;
  region?: string;
  log?: Log;
  /** Called after each batch has been handled and its successes deleted. */
  onBatch?: (verdict: BatchVerdict) => void;
}

export interface SqsPoller {
  /** Stops polling; a batch being handled finishes first. Idempotent. */
  stop(): Promise<void>;
}

/** Starts polling `queueUrl` and feeding batches to the handler. */
export function startSqsPoller(options: SqsPollerOptions): SqsPoller {
  const log = options.log ?? stderrLog;
  const fn = options.fn ?? { name: 'sqs-consumer' };
  const batchSize = Math.min(10, Math.max(1, options.batchSize ?? MINING_QUEUE.batchSize));
  const waitTimeSeconds = options.waitTimeSeconds ?? 20;
  const reportBatchItemFailures = options.reportBatchItemFailures ?? true;
  const region = options.region ?? LOCAL_REGION;
  const abort = new AbortController();
  let stopped = false;

  const getHandler = async (): Promise<SqsHandler> =>
    options.lazy ? (options.handler as () => Promise<SqsHandler>)() : (options.handler as SqsHandler);

  async function handleBatch(messages: Message[]): Promise<void> {
    const event = toSqsEvent(messages, options.queueArn, region);
    const context = createLambdaContext(fn);
    let outcome: BatchOutcome;
    try {
      const handler = await getHandler();
      outcome = { ok: true, result: await invokeWithTimeout(handler, event, context, fn.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) };
    } catch (error) {
      process.stderr.write(
        `[patron-local] ${fn.name} ERROR Invoke Error (RequestId: ${context.awsRequestId})\n` +
          `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      outcome = { ok: false, error };
    }
    const verdict = judgeBatch(event.Records, outcome, reportBatchItemFailures);
    if (verdict.succeeded.length > 0) {
      const response = await options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: verdict.succeeded.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
      for (const failure of response.Failed ?? []) log(`${fn.name}: could not delete a message: ${failure.Code} ${failure.Message ?? ''}`);
    }
    // A batch that went through says nothing (the outbound queue carries one message per event);
    // one that left messages for retry is worth a line.
    if (verdict.failed.length > 0)
      log(
        `${fn.name}: batch of ${messages.length} -> ${verdict.succeeded.length} done, ${verdict.failed.length} left for retry` +
          (verdict.reason ? ` (${verdict.reason})` : ''),
      );
    options.onBatch?.(verdict);
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      let messages: Message[];
      try {
        const received = await options.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: batchSize,
            WaitTimeSeconds: waitTimeSeconds,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: abort.signal },
        );
        messages = received.Messages ?? [];
      } catch (error) {
        if (stopped) break;
        log(`${fn.name}: ReceiveMessage failed, retrying in 1 s: ${error instanceof Error ? error.message : String(error)}`);
        await sleep(1000);
        continue;
      }
      if (messages.length === 0) continue;
      try {
        await handleBatch(messages);
      } catch (error) {
        log(`${fn.name}: batch bookkeeping failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  const running = loop();
  let stopping: Promise<void> | undefined;
  return {
    stop: () =>
      (stopping ??= (async () => {
        stopped = true;
        abort.abort();
        await running;
      })()),
  };
}
