import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { tracer } from '../observability.js';

/** Sends JSON messages to one queue, ten per request, retrying entries SQS reports as failed. */
export class MessageQueue {
  constructor(
    private readonly sqs: SQSClient,
    readonly queueUrl: string,
  ) {}

  static create(queueUrl: string, endpoint?: string): MessageQueue {
    return new MessageQueue(tracer.captureAWSv3Client(new SQSClient(endpoint ? { endpoint } : {})), queueUrl);
  }

  /** `delaySeconds` (0-900, SQS's bound) holds the messages back before any consumer sees them. */
  async send(messages: unknown[], options: { delaySeconds?: number } = {}): Promise<void> {
    const delay = options.delaySeconds === undefined ? {} : { DelaySeconds: Math.max(0, Math.min(900, Math.round(options.delaySeconds))) };
    for (let i = 0; i < messages.length; i += 10) {
      let entries = messages.slice(i, i + 10).map((m, j) => ({ Id: String(i + j), MessageBody: JSON.stringify(m), ...delay }));
      for (let attempt = 0; entries.length > 0; attempt++) {
        if (attempt > 5) throw new Error(`SQS kept rejecting ${entries.length} messages`);
        if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
        const out = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
        const failed = new Set((out.Failed ?? []).map((f) => f.Id));
        entries = entries.filter((e) => failed.has(e.Id));
      }
    }
  }
}
