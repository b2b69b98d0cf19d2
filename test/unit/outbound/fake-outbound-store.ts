/**
 * An in-memory OutboundStore with the DynamoDB version's semantics (layers/core/src/store/outbound-store.ts):
 * conditional creates, claimAttempt's condition, lease slots that lapse, recordOutcome's REMOVEs and
 * updateSubscription's optional condition. Items are copied in and out, as DynamoDB would.
 */
import type { DeliveryStatus } from '../../../layers/core/src/outbound/schema.js';
import type { OutboundStore, StoredDelivery, StoredSubscription } from '../../../layers/core/src/store/outbound-store.js';

const copy = <T>(value: T): T => structuredClone(value);
const deliveryKey = (subscriptionId: string, eventId: string) => `${subscriptionId}\u0000${eventId}`;
const leaseKey = (subscriptionId: string, slot: number) => `${subscriptionId}\u0000${slot}`;

type Condition = { expression: string; values: Record<string, unknown>; names?: Record<string, string> };

/** The subset of condition expressions the code under test writes: `a = :v [AND b = :w ...]`. */
function holds(item: Record<string, unknown>, condition: Condition): boolean {
  return condition.expression.split(/\s+AND\s+/).every((clause) => {
    const match = /^\s*(#?\w+)\s*=\s*(:\w+)\s*$/.exec(clause);
    if (!match) throw new Error(`fake store: unsupported condition ${clause}`);
    const [, left, right] = match as unknown as [string, string, string];
    const attribute = left.startsWith('#') ? condition.names?.[left] : left;
    if (attribute === undefined) throw new Error(`fake store: unknown name ${left}`);
    if (!(right in condition.values)) throw new Error(`fake store: unknown value ${right}`);
    return item[attribute] === condition.values[right];
  });
}

export class FakeOutboundStore {
  readonly subscriptions = new Map<string, StoredSubscription>();
  readonly deliveries = new Map<string, StoredDelivery>();
  /** Lease slots: leaseUntil (ISO) per subscription and slot. */
  readonly leases = new Map<string, string>();
  readonly calls: { method: string; args: unknown[] }[] = [];

  /** Typed as the real store for the worker's deps (the real class has a private member). */
  asStore(): OutboundStore {
    return this as unknown as OutboundStore;
  }

  private log(method: string, ...args: unknown[]) {
    this.calls.push({ method, args: copy(args) });
  }

  async putSubscription(s: StoredSubscription, max: number): Promise<boolean> {
    this.log('putSubscription', s);
    if (this.subscriptions.has(s.id)) throw Object.assign(new Error('exists'), { name: 'ConditionalCheckFailedException' });
    if (this.subscriptions.size >= max) return false;
    this.subscriptions.set(s.id, copy(s));
    return true;
  }

  async getSubscription(id: string): Promise<StoredSubscription | undefined> {
    const s = this.subscriptions.get(id);
    return s ? copy(s) : undefined;
  }

  async listSubscriptions(): Promise<StoredSubscription[]> {
    return [...this.subscriptions.values()].sort((a, b) => (a.createdAt + a.id < b.createdAt + b.id ? -1 : 1)).map((s) => copy(s));
  }

  async updateSubscription(
    id: string,
    fields: Partial<Omit<StoredSubscription, 'id' | 'createdAt'>>,
    remove: readonly (keyof StoredSubscription)[] = [],
    condition?: Condition,
  ): Promise<StoredSubscription | undefined> {
    this.log('updateSubscription', id, fields, remove, condition);
    const current = this.subscriptions.get(id);
    if (!current) return undefined;
    if (condition && !holds(current as unknown as Record<string, unknown>, condition)) return undefined;
    const next: Record<string, unknown> = { ...copy(current) };
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) next[k] = copy(v);
    for (const k of remove) delete next[k];
    this.subscriptions.set(id, next as unknown as StoredSubscription);
    return copy(next as unknown as StoredSubscription);
  }

  async deleteSubscription(id: string): Promise<boolean> {
    this.log('deleteSubscription', id);
    // Like DynamoDB: only the subscription item goes; its deliveries and leases stay.
    return this.subscriptions.delete(id);
  }

  async createDelivery(d: StoredDelivery, _now: Date): Promise<boolean> {
    this.log('createDelivery', d);
    const key = deliveryKey(d.subscriptionId, d.eventId);
    if (this.deliveries.has(key)) return false;
    this.deliveries.set(key, copy(d));
    return true;
  }

  async getDelivery(subscriptionId: string, eventId: string): Promise<StoredDelivery | undefined> {
    const d = this.deliveries.get(deliveryKey(subscriptionId, eventId));
    return d ? copy(d) : undefined;
  }

  /** `attribute_exists(pk) AND #status IN (pending, retrying, sending) AND (attempts = :attempt OR (attempts = :next AND sendingUntil < :now))`. */
  async claimAttempt(
    subscriptionId: string,
    eventId: string,
    attempt: number,
    now: Date,
    holdMs: number,
  ): Promise<StoredDelivery | undefined> {
    this.log('claimAttempt', subscriptionId, eventId, attempt, now.toISOString());
    const key = deliveryKey(subscriptionId, eventId);
    const d = this.deliveries.get(key);
    if (!d) return undefined;
    if (!['pending', 'retrying', 'sending'].includes(d.status)) return undefined;
    const nowIso = now.toISOString();
    // DynamoDB: `sendingUntil < :now` is false when sendingUntil is absent.
    const lapsed = d.sendingUntil !== undefined && d.sendingUntil < nowIso;
    if (!(d.attempts === attempt || (d.attempts === attempt + 1 && lapsed))) return undefined;
    const next: StoredDelivery = {
      ...d,
      attempts: attempt + 1,
      status: 'sending',
      sendingUntil: new Date(now.getTime() + holdMs).toISOString(),
      lastAttemptAt: nowIso,
    };
    this.deliveries.set(key, next);
    return copy(next);
  }

  async recordOutcome(
    subscriptionId: string,
    eventId: string,
    fields: Partial<Pick<StoredDelivery, 'status' | 'lastStatusCode' | 'lastError' | 'nextAttemptAt' | 'deliveredAt'>>,
  ): Promise<void> {
    this.log('recordOutcome', subscriptionId, eventId, fields);
    const key = deliveryKey(subscriptionId, eventId);
    const d = this.deliveries.get(key);
    // The real one's condition fails (updateWhere answers undefined; recordOutcome ignores it).
    if (!d) return;
    const next: Record<string, unknown> = { ...d };
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) next[k] = v;
    delete next.sendingUntil;
    if (fields.nextAttemptAt === undefined) delete next.nextAttemptAt;
    this.deliveries.set(key, next as unknown as StoredDelivery);
  }

  async listDeliveries(subscriptionId: string, limit: number, status?: DeliveryStatus): Promise<StoredDelivery[]> {
    return [...this.deliveries.values()]
      .filter((d) => d.subscriptionId === subscriptionId && (!status || d.status === status))
      .sort((a, b) => (a.createdAt + a.eventId < b.createdAt + b.eventId ? 1 : -1))
      .slice(0, limit)
      .map((d) => copy(d));
  }

  /** A slot is free when unheld or `leaseUntil < now`. Tries slots from 0 (the real one starts at random). */
  async acquireLease(subscriptionId: string, slots: number, now: Date, holdMs: number): Promise<number | undefined> {
    this.log('acquireLease', subscriptionId, slots, now.toISOString());
    for (let slot = 0; slot < slots; slot++) {
      const held = this.leases.get(leaseKey(subscriptionId, slot));
      if (held === undefined || held < now.toISOString()) {
        this.leases.set(leaseKey(subscriptionId, slot), new Date(now.getTime() + holdMs).toISOString());
        return slot;
      }
    }
    return undefined;
  }

  async releaseLease(subscriptionId: string, slot: number): Promise<void> {
    this.log('releaseLease', subscriptionId, slot);
    this.leases.delete(leaseKey(subscriptionId, slot));
  }

  /** Test helper: holds a slot until `until` (as a sender elsewhere would). */
  holdLease(subscriptionId: string, slot: number, until: Date): void {
    this.leases.set(leaseKey(subscriptionId, slot), until.toISOString());
  }

  /** Test helper: slots of a subscription still held at `now`. */
  heldLeases(subscriptionId: string, now: Date): number {
    let n = 0;
    for (const [key, until] of this.leases) if (key.startsWith(`${subscriptionId}\u0000`) && until >= now.toISOString()) n++;
    return n;
  }

  /** Test helper: a delivery as stored (no copy). */
  delivery(subscriptionId: string, eventId: string): StoredDelivery | undefined {
    return this.deliveries.get(deliveryKey(subscriptionId, eventId));
  }
}
