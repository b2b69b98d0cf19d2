/**
 * Builds one DynamoDB UpdateExpression from many small contributions, keeping attribute names
 * and values unique. Additive parts (ADD, sums into maps, set unions) are order-independent, which
 * is what lets out-of-order deliveries and merges produce the same aggregates.
 */
export class UpdateBuilder {
  private readonly sets: string[] = [];
  private readonly adds: string[] = [];
  private readonly removes: string[] = [];
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  private readonly placeholders = new Map<string, string>();
  private counter = 0;

  /**
   * One placeholder per distinct name. Attribute names keep a readable placeholder; map keys
   * (categories, currencies, product ids: up to 100 of up to 200 characters) get `#k<n>`, so the
   * expression stays under DynamoDB's 4 KB limit however long they are.
   */
  private name(n: string, mapKey = false): string {
    const cacheKey = `${mapKey ? 'k' : 'a'}:${n}`;
    const existing = this.placeholders.get(cacheKey);
    if (existing) return existing;
    const readable = mapKey ? `#k${this.counter++}` : `#${n.replace(/[^A-Za-z0-9_]/g, '_')}`;
    const placeholder = readable in this.names ? `${readable}_${this.counter++}` : readable;
    this.names[placeholder] = n;
    this.placeholders.set(cacheKey, placeholder);
    return placeholder;
  }

  private value(v: unknown): string {
    const key = `:v${this.counter++}`;
    this.values[key] = v;
    return key;
  }

  private path(attribute: string, mapKey?: string): string {
    return mapKey === undefined ? this.name(attribute) : `${this.name(attribute)}.${this.name(mapKey, true)}`;
  }

  /** Number attribute += n (created at n). */
  add(attribute: string, n: number): this {
    if (n !== 0) this.adds.push(`${this.name(attribute)} ${this.value(n)}`);
    return this;
  }

  /** map[key] += n; the map itself must exist (profiles are created with their maps). */
  addToMap(attribute: string, key: string, n: number): this {
    const p = this.path(attribute, key);
    this.sets.push(`${p} = if_not_exists(${p}, ${this.value(0)}) + ${this.value(n)}`);
    return this;
  }

  /** String-set union; idempotent, so replays and merges cannot inflate it. */
  addToSet(attribute: string, members: Iterable<string>): this {
    const unique = [...new Set(members)].filter(Boolean);
    if (unique.length > 0) this.adds.push(`${this.name(attribute)} ${this.value(new Set(unique))}`);
    return this;
  }

  set(attribute: string, v: unknown, mapKey?: string): this {
    if (v !== undefined) this.sets.push(`${this.path(attribute, mapKey)} = ${this.value(v)}`);
    return this;
  }

  setIfNotExists(attribute: string, v: unknown): this {
    if (v !== undefined) {
      const p = this.name(attribute);
      this.sets.push(`${p} = if_not_exists(${p}, ${this.value(v)})`);
    }
    return this;
  }

  appendToList(attribute: string, items: unknown[]): this {
    if (items.length > 0) {
      const p = this.name(attribute);
      this.sets.push(`${p} = list_append(if_not_exists(${p}, ${this.value([])}), ${this.value(items)})`);
    }
    return this;
  }

  remove(attribute: string): this {
    this.removes.push(this.name(attribute));
    return this;
  }

  /** Resolves names used in a condition, sharing this builder's placeholders. */
  ref(attribute: string): string {
    return this.name(attribute);
  }

  param(v: unknown): string {
    return this.value(v);
  }

  get isEmpty(): boolean {
    return this.sets.length + this.adds.length + this.removes.length === 0;
  }

  expression(): string {
    const parts: string[] = [];
    if (this.sets.length) parts.push(`SET ${this.sets.join(', ')}`);
    if (this.adds.length) parts.push(`ADD ${this.adds.join(', ')}`);
    if (this.removes.length) parts.push(`REMOVE ${this.removes.join(', ')}`);
    return parts.join(' ');
  }

  /** The three UpdateItem fields; empty maps omitted because DynamoDB rejects them. */
  params(): {
    UpdateExpression: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  } {
    return {
      UpdateExpression: this.expression(),
      ...(Object.keys(this.names).length ? { ExpressionAttributeNames: this.names } : {}),
      ...(Object.keys(this.values).length ? { ExpressionAttributeValues: this.values } : {}),
    };
  }
}
