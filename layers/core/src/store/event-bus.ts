import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { tracer } from '../observability.js';
import { EVENT_SOURCE, type OutboundEvent } from '../outbound/events.js';
import type { EventBus } from '../outbound/worker.js';

/** The stack's EventBridge bus: source `patron`, detail-type the event type, detail the payload with its id. */
export class EventBridgeBus implements EventBus {
  constructor(
    private readonly client: EventBridgeClient,
    readonly busName: string,
  ) {}

  static create(busName: string, endpoint?: string): EventBridgeBus {
    return new EventBridgeBus(tracer.captureAWSv3Client(new EventBridgeClient(endpoint ? { endpoint } : {})), busName);
  }

  async put(events: readonly OutboundEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += 10) {
      const batch = events.slice(i, i + 10);
      const out = await this.client.send(
        new PutEventsCommand({
          Entries: batch.map((e) => ({
            EventBusName: this.busName,
            Source: EVENT_SOURCE,
            DetailType: e.type,
            Time: new Date(e.timestamp),
            Detail: JSON.stringify({ id: e.id, type: e.type, timestamp: e.timestamp, data: e.data }),
          })),
        }),
      );
      // A failed entry fails the message: SQS redelivers it (receivers dedupe on detail.id).
      if (out.FailedEntryCount) {
        const first = out.Entries?.find((e) => e.ErrorCode);
        throw new Error(`EventBridge refused ${out.FailedEntryCount} events (${first?.ErrorCode}: ${first?.ErrorMessage})`);
      }
    }
  }
}
