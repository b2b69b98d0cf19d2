/**
 * Sends deliveries to the webhook endpoint over HTTP with bounded concurrency, signing each one
 * right before it goes out (and again on a retry, so a slow retry never carries a stale
 * timestamp). Network errors, 429 and 5xx are retried with backoff; other 4xx are counted as
 * rejected, keeping the first few response bodies for the report.
 */
import cliProgress from 'cli-progress';
import type { SourceName } from '../../layers/core/src/touchpoint.js';
import { signDelivery, type PendingDelivery, type WebhookSecrets } from './deliveries.js';

export type Outcome = 'accepted' | 'duplicate' | 'ignored' | 'rejected' | 'failed';

export interface SendError {
  source: SourceName;
  eventType: string;
  eventId: string;
  status: number | 'network';
  body: string;
}

export interface SendResult {
  sent: number;
  accepted: number;
  duplicates: number;
  ignored: number;
  rejected: number;
  /** Still failing (network or 5xx) after every retry. */
  failed: number;
  retries: number;
  bySource: Record<SourceName, Record<Outcome, number>>;
  /** Deliveries whose outcome was not the one expected (e.g. stored when `ignored` was expected). */
  unexpected: number;
  /** The first few rejected or failed deliveries, with the response body. */
  errors: SendError[];
  /** The first few unexpected outcomes. */
  surprises: Array<{ source: SourceName; eventType: string; expected: string; got: string }>;
  elapsedMs: number;
}

export interface SendOptions {
  baseUrl: string;
  secrets: WebhookSecrets;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Attempts after the first, for network errors, 429 and 5xx. */
  retries?: number;
  /** Base backoff in ms, doubled per attempt. */
  backoffMs?: number;
  /** Total deliveries, for the progress display (needed when `deliveries` is a lazy iterable). */
  total?: number;
  label?: string;
  /** false: no progress output at all. */
  progress?: boolean;
  /** Where progress goes (default stderr). */
  stream?: NodeJS.WriteStream;
  keepErrors?: number;
  fetch?: typeof fetch;
  now?: () => Date;
}

const emptyCounts = (): Record<Outcome, number> => ({ accepted: 0, duplicate: 0, ignored: 0, rejected: 0, failed: 0 });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the webhook handler said: 201 stored, 200 duplicate, 202 ignored (and the same in the body). */
export function classify(status: number, body: string): Outcome {
  if (status >= 200 && status < 300) {
    let parsed: { status?: unknown; duplicate?: unknown; ignored?: unknown } = {};
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      // not JSON: fall back on the status code
    }
    if (parsed.status === 'duplicate' || parsed.duplicate === true) return 'duplicate';
    if (parsed.status === 'ignored' || parsed.ignored === true) return 'ignored';
    if (parsed.status === 'stored') return 'accepted';
    if (status === 202) return 'ignored';
    return 'accepted';
  }
  return 'rejected';
}

const retryable = (status: number) => status === 429 || status >= 500;

export async function sendDeliveries(deliveries: Iterable<PendingDelivery>, options: SendOptions): Promise<SendResult> {
  const {
    baseUrl,
    secrets,
    concurrency = 16,
    retries = 2,
    backoffMs = 250,
    keepErrors = 5,
    label = 'deliveries',
    fetch: doFetch = globalThis.fetch,
    now = () => new Date(),
  } = options;
  const total = options.total ?? (Array.isArray(deliveries) ? deliveries.length : undefined);
  const result: SendResult = {
    sent: 0,
    accepted: 0,
    duplicates: 0,
    ignored: 0,
    rejected: 0,
    failed: 0,
    retries: 0,
    bySource: { generic: emptyCounts(), shopify: emptyCounts(), stripe: emptyCounts(), zendesk: emptyCounts() },
    unexpected: 0,
    errors: [],
    surprises: [],
    elapsedMs: 0,
  };
  const progress = createProgress(options.progress ?? true, total, label, options.stream ?? process.stderr);
  const base = baseUrl.replace(/\/+$/, '');
  const started = performance.now();

  const record = (d: PendingDelivery, outcome: Outcome, status: number | 'network', body: string) => {
    result.sent++;
    result.bySource[d.source][outcome]++;
    if (outcome === 'accepted') result.accepted++;
    else if (outcome === 'duplicate') result.duplicates++;
    else if (outcome === 'ignored') result.ignored++;
    else if (outcome === 'rejected') result.rejected++;
    else result.failed++;
    if ((outcome === 'rejected' || outcome === 'failed') && result.errors.length < keepErrors) {
      result.errors.push({ source: d.source, eventType: d.eventType, eventId: d.eventId, status, body: body.slice(0, 600) });
    }
    const expectedIgnored = d.expect.type === 'ignored';
    const surprising = (outcome === 'accepted' && expectedIgnored) || (outcome === 'ignored' && !expectedIgnored) || outcome === 'rejected';
    if (surprising) {
      result.unexpected++;
      if (result.surprises.length < keepErrors) {
        result.surprises.push({ source: d.source, eventType: d.eventType, expected: d.expect.type, got: outcome });
      }
    }
    progress.tick(result.sent);
  };

  const sendOne = async (d: PendingDelivery) => {
    for (let attempt = 0; ; attempt++) {
      let status: number | 'network';
      let body: string;
      try {
        const signed = signDelivery(d, secrets, now());
        const res = await doFetch(`${base}${signed.path}`, { method: 'POST', headers: signed.headers, body: signed.body });
        status = res.status;
        body = await res.text();
        if (!retryable(status)) {
          record(d, classify(status, body), status, body);
          return;
        }
      } catch (error) {
        status = 'network';
        body = error instanceof Error ? `${error.name}: ${error.message}${error.cause ? ` (${String(error.cause)})` : ''}` : String(error);
      }
      if (attempt >= retries) {
        record(d, 'failed', status, body);
        return;
      }
      result.retries++;
      await sleep(backoffMs * 2 ** attempt);
    }
  };

  // Workers share one iterator, so a lazy source is rendered one delivery at a time.
  const iterator = deliveries[Symbol.iterator]();
  const worker = async () => {
    for (;;) {
      const next = iterator.next();
      if (next.done) return;
      await sendOne(next.value);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  } finally {
    result.elapsedMs = performance.now() - started;
    progress.stop(result.sent);
  }
  return result;
}

interface Progress {
  tick(done: number): void;
  stop(done: number): void;
}

/**
 * A bar on a terminal; elsewhere (CI, piped output) a plain line every 10 %, since a bar's
 * carriage returns make an unreadable log.
 */
function createProgress(enabled: boolean, total: number | undefined, label: string, stream: NodeJS.WriteStream): Progress {
  if (!enabled) return { tick() {}, stop() {} };
  if (stream.isTTY && total) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `  ${label} [{bar}] {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted}`,
        hideCursor: true,
        clearOnComplete: false,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    const started = performance.now();
    const rate = (done: number) => Math.round(done / Math.max(0.001, (performance.now() - started) / 1000));
    bar.start(total, 0, { rate: 0 });
    return {
      tick: (done) => bar.update(done, { rate: rate(done) }),
      stop: (done) => {
        bar.update(done, { rate: rate(done) });
        bar.stop();
      },
    };
  }
  const started = performance.now();
  let nextMark = 10;
  const line = (done: number) => {
    const secs = (performance.now() - started) / 1000;
    const pct = total ? Math.floor((done / total) * 100) : undefined;
    stream.write(`  ${label}: ${done}${total ? `/${total} (${pct}%)` : ''} in ${secs.toFixed(1)} s\n`);
  };
  return {
    tick(done) {
      if (!total) return;
      const pct = (done / total) * 100;
      if (pct >= nextMark && done < total) {
        line(done);
        while (nextMark <= pct) nextMark += 10;
      }
    },
    stop: line,
  };
}
