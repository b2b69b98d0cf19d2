/**
 * Per-container memory of alias hash -> customer id. Safe to be stale: the touchpoint write is
 * conditioned on the customer being live (not merged, not erased), and a failed condition makes
 * the caller evict and resolve from the table. It saves one read per delivery for known customers.
 */
export class AliasCache {
  private readonly entries = new Map<string, string>();
  constructor(private readonly capacity = 50_000) {}

  /** The customer all hashes point at, if every one is cached and they agree. */
  lookup(hashes: readonly string[]): string | undefined {
    let owner: string | undefined;
    for (const h of hashes) {
      const id = this.entries.get(h);
      if (!id || (owner && owner !== id)) return undefined;
      owner = id;
    }
    return owner;
  }

  remember(hashes: readonly string[], customerId: string): void {
    for (const h of hashes) {
      this.entries.delete(h); // re-insert: Map order doubles as recency
      this.entries.set(h, customerId);
    }
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  forget(hashes: readonly string[]): void {
    for (const h of hashes) this.entries.delete(h);
  }
}
