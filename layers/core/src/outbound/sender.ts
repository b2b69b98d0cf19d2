import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { ADAPTERS } from '../ingest/sources/index.js';
import { checkDeliveryUrl, isBlockedAddress, type UrlGuardOptions } from './url-guard.js';

/**
 * One outbound webhook delivery, signed as Standard Webhooks specifies: the
 * generic source's own `sign()`, which the ingest side verifies and the `standardwebhooks`
 * library accepts (test/unit/outbound/sender.test.ts). During a secret rotation both secrets sign
 * (space-separated `v1,` signatures), so a receiver on either secret verifies.
 *
 * The connection goes to an address the URL guard approved, pinned for this request (the socket's
 * DNS lookup answers it), so a host cannot pass the guard and then resolve elsewhere (rebinding).
 * Redirects are not followed; connecting, sending and the answer's headers are bounded together by
 * `timeoutMs` (10 s by default), and the receiver's body is never read.
 */
export interface OutboundRequest {
  url: string;
  /** The event's id: the `webhook-id`, the same on every retry, so receivers can deduplicate. */
  eventId: string;
  body: string;
  /** Newest first; each signs. */
  secrets: readonly string[];
  now: Date;
  timeoutMs?: number;
}

export type DeliveryOutcome =
  | { outcome: 'delivered'; status: number; ms: number }
  /** Try again later (5xx, 429, other 4xx, a redirect, a timeout, a network error). */
  | { outcome: 'retry'; status?: number; reason: string; ms: number }
  /** 410 Gone: the receiver asks to be forgotten; the subscription is to be disabled. */
  | { outcome: 'gone'; status: 410; ms: number }
  /** The URL guard refused the address: nothing was sent. */
  | { outcome: 'refused'; reason: string };

export const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000;

/** The Standard Webhooks headers, with one signature per secret. */
export function signedHeaders(req: Pick<OutboundRequest, 'eventId' | 'body' | 'secrets' | 'now'>): Record<string, string> {
  if (!req.secrets.length) throw new Error('an outbound delivery needs a signing secret');
  const signed = req.secrets.map((secret) => ADAPTERS.generic.sign(req.body, secret, req.now, req.eventId));
  return {
    'webhook-id': String(signed[0]!['webhook-id']),
    'webhook-timestamp': String(signed[0]!['webhook-timestamp']),
    'webhook-signature': signed.map((h) => String(h['webhook-signature'])).join(' '),
  };
}

export async function sendWebhook(req: OutboundRequest, guard: UrlGuardOptions = {}): Promise<DeliveryOutcome> {
  const verdict = await checkDeliveryUrl(req.url, guard);
  if (!verdict.ok) return { outcome: 'refused', reason: verdict.reason };
  const address = verdict.addresses[0]!;
  const family = address.includes(':') ? 6 : 4;
  // The socket connects where the guard looked, whatever DNS answers now.
  const pinned: LookupFunction = (_host, options, callback) => {
    if (isBlockedAddress(address) && !guard.allowLocalHttp) {
      callback(new Error(`address ${address} is not allowed`), '', family);
      return;
    }
    if ((options as { all?: boolean }).all)
      (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };
  const timeoutMs = req.timeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS;
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const send = verdict.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<DeliveryOutcome>((resolve) => {
    const outgoing = send(
      verdict.url,
      {
        method: 'POST',
        lookup: pinned,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Patron-Webhooks/1.0',
          'content-length': Buffer.byteLength(req.body),
          ...signedHeaders(req),
        },
      },
      (res) => {
        // The status says it all: the body is not read (a receiver that trickles one cannot hold
        // the sender), and the connection is closed at once.
        clearTimeout(deadline);
        const status = res.statusCode ?? 0;
        res.destroy();
        if (status >= 200 && status < 300) resolve({ outcome: 'delivered', status, ms: ms() });
        else if (status === 410) resolve({ outcome: 'gone', status: 410, ms: ms() });
        else if (status >= 300 && status < 400) resolve({ outcome: 'retry', status, reason: 'redirects are not followed', ms: ms() });
        else resolve({ outcome: 'retry', status, reason: `the receiver answered ${status}`, ms: ms() });
      },
    );
    // One deadline for connecting, sending and the answer's status line, however slowly bytes come.
    const deadline = setTimeout(() => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    outgoing.on('error', (error) => {
      clearTimeout(deadline);
      resolve({ outcome: 'retry', reason: error.message, ms: ms() });
    });
    outgoing.end(req.body);
  });
}
