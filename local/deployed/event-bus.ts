/**
 * A tiny local EventBridge: the stack's own buses, PutEvents only, over the AWS JSON 1.1 protocol
 * that `@aws-sdk/client-eventbridge` speaks. Accepted events are recorded (tests read them) and
 * delivered to the SQS targets of the rules whose pattern matches. Only the pattern subset Patron
 * uses is emulated; anything else fails at startup naming the rule, so a rule that would behave
 * differently in AWS never passes silently here.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback, readAll, type Log } from '../util.js';

/** An event as the bus accepted it. */
export interface RecordedEvent {
  busName: string;
  id: string;
  source: string;
  detailType: string;
  /** Parsed from the entry's Detail (always a JSON object). */
  detail: Record<string, unknown>;
  /** ISO 8601, second precision, as EventBridge writes `time`. */
  time: string;
  resources: string[];
}

export interface EventBusTarget {
  /** The rule target's Id. */
  id: string;
  /** Where `deliver` sends the message: the SQS queue URL locally. */
  queueUrl: string;
  /** Constant JSON text sent instead of the event. */
  input?: string;
  /** JSONPath (`$` or `$.a.b`) into the envelope; its value is sent instead of the event. */
  inputPath?: string;
  /** Not emulated: present only so startup can refuse it. */
  inputTransformer?: unknown;
}

export interface EventBusRule {
  /** For error messages (the rule's logical id locally). */
  name: string;
  busName: string;
  pattern: unknown;
  targets: EventBusTarget[];
}

export interface EventBusOptions {
  /** Names of the buses that exist; PutEvents to any other fails per entry. */
  buses: string[];
  rules: EventBusRule[];
  /** Sends one message body to a target's queue (the runtime's sends with the emulators' SQSClient). */
  deliver: (target: EventBusTarget, body: string) => Promise<void>;
  region: string;
  account: string;
  log: Log;
}

export interface EventBus {
  url: string;
  /** Every accepted event, oldest first. */
  events: RecordedEvent[];
  close(): Promise<void>;
}

export class UnsupportedRuleError extends Error {
  override name = 'UnsupportedRuleError';
}

type Matcher = (event: Record<string, unknown>) => boolean;

const TOP_LEVEL_KEYS = new Set(['source', 'detail-type', 'account', 'region', 'detail']);

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** One allowed value of a pattern leaf: a scalar compared exactly, or `{prefix: "..."}`. */
function leafValue(value: unknown, where: string): (v: unknown) => boolean {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return (v) => v === value;
  }
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === 'prefix' && typeof value.prefix === 'string') {
      const prefix = value.prefix;
      return (v) => typeof v === 'string' && v.startsWith(prefix);
    }
    throw new UnsupportedRuleError(`${where}: the filter ${JSON.stringify(value)} is not emulated locally (only exact values and prefix)`);
  }
  throw new UnsupportedRuleError(`${where}: ${JSON.stringify(value)} is not a valid pattern value`);
}

/** A pattern object: every key must match; an array is a leaf (any of its values), an object nests. */
function compileObject(pattern: Record<string, unknown>, where: string, topLevel: boolean): Matcher {
  const checks = Object.entries(pattern).map(([key, value]): Matcher => {
    const at = `${where}.${key}`;
    if (topLevel && !TOP_LEVEL_KEYS.has(key)) {
      throw new UnsupportedRuleError(`${at}: matching on ${key} is not emulated locally (only ${[...TOP_LEVEL_KEYS].join(', ')})`);
    }
    if (Array.isArray(value)) {
      if (value.length === 0) throw new UnsupportedRuleError(`${at}: an empty array matches nothing (AWS rejects it)`);
      const allowed = value.map((v) => leafValue(v, at));
      return (event) => {
        if (!(key in event)) return false;
        const actual = event[key];
        // An array field matches when any of its elements does, as in EventBridge.
        const values = Array.isArray(actual) ? actual : [actual];
        return values.some((v) => allowed.some((ok) => ok(v)));
      };
    }
    if (isObject(value) && (!topLevel || key === 'detail')) {
      const nested = compileObject(value, at, false);
      return (event) => isObject(event[key]) && nested(event[key] as Record<string, unknown>);
    }
    throw new UnsupportedRuleError(`${at}: ${JSON.stringify(value)} is not emulated locally (leaves must be arrays)`);
  });
  return (event) => checks.every((check) => check(event));
}

/** Compiles an EventPattern (object or JSON text) into a predicate over the event envelope. */
export function compilePattern(pattern: unknown, ruleName: string): Matcher {
  const parsed = typeof pattern === 'string' ? (JSON.parse(pattern) as unknown) : pattern;
  if (!isObject(parsed) || Object.keys(parsed).length === 0) {
    throw new UnsupportedRuleError(`rule ${ruleName}: EventPattern must be a non-empty JSON object`);
  }
  return compileObject(parsed, `rule ${ruleName}: EventPattern`, true);
}

/** `$` or `$.a.b` -> the value there; other JSONPath forms fail at startup. */
function compileInputPath(path: string, where: string): (envelope: Record<string, unknown>) => unknown {
  if (!/^\$(\.[A-Za-z0-9_-]+)*$/.test(path)) throw new UnsupportedRuleError(`${where}: InputPath ${path} is not emulated locally`);
  const keys = path.split('.').slice(1);
  return (envelope) => keys.reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), envelope);
}

interface CompiledRule {
  rule: EventBusRule;
  matches: Matcher;
  targets: { target: EventBusTarget; body: (envelope: Record<string, unknown>) => string }[];
}

function compileRule(rule: EventBusRule): CompiledRule {
  return {
    rule,
    matches: compilePattern(rule.pattern, rule.name),
    targets: rule.targets.map((target) => {
      const where = `rule ${rule.name} target ${target.id}`;
      if (target.inputTransformer !== undefined) throw new UnsupportedRuleError(`${where}: InputTransformer is not emulated locally`);
      if (target.input !== undefined && target.inputPath !== undefined) {
        throw new UnsupportedRuleError(`${where}: Input and InputPath are mutually exclusive`);
      }
      if (target.input !== undefined) {
        const input = target.input;
        return { target, body: () => input };
      }
      if (target.inputPath !== undefined) {
        const select = compileInputPath(target.inputPath, where);
        return { target, body: (envelope) => JSON.stringify(select(envelope) ?? null) };
      }
      return { target, body: (envelope) => JSON.stringify(envelope) };
    }),
  };
}

/** Per-entry result, in the shape of PutEventsResultEntry. */
type ResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

interface RequestEntry {
  Source?: unknown;
  DetailType?: unknown;
  Detail?: unknown;
  EventBusName?: unknown;
  Resources?: unknown;
  Time?: unknown;
}

/** The service's entry limits (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html). */
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;

/** Size as EventBridge counts it: Time 14 bytes, then the UTF-8 bytes of Source, DetailType, Detail, Resources. */
function entrySize(entry: RequestEntry): number {
  const bytes = (v: unknown) => (typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : 0);
  const resources = Array.isArray(entry.Resources) ? entry.Resources : [];
  return (
    (entry.Time !== undefined ? 14 : 0) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    resources.reduce<number>((n, r) => n + bytes(r), 0)
  );
}

class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
  res.end(JSON.stringify(body));
}

/** `Time` arrives as epoch seconds (JSON 1.1 timestamps); EventBridge writes `time` to the second. */
function eventTime(time: unknown): string {
  const ms = typeof time === 'number' ? time * 1000 : typeof time === 'string' ? Date.parse(time) : Date.now();
  return `${new Date(Number.isFinite(ms) ? ms : Date.now()).toISOString().slice(0, 19)}Z`;
}

export async function startEventBus(options: EventBusOptions): Promise<EventBus> {
  // Compiled first: an unsupported rule throws here, before anything listens.
  const rules = options.rules.map(compileRule);
  const buses = new Set(options.buses);
  for (const { rule } of rules) {
    if (!buses.has(rule.busName)) throw new UnsupportedRuleError(`rule ${rule.name} is on bus ${rule.busName}, which does not exist`);
  }
  const events: RecordedEvent[] = [];
  const busPrefix = `arn:aws:events:${options.region}:${options.account}:event-bus/`;
  // EventBusName may be a name or the bus ARN; omitted means the account's default bus.
  const busNameOf = (name: unknown): string => {
    const n = typeof name === 'string' && name !== '' ? name : 'default';
    return n.startsWith(busPrefix) ? n.slice(busPrefix.length) : n;
  };

  const accept = (entry: RequestEntry): { result: ResultEntry; event?: RecordedEvent } => {
    const invalid = (field: string, reason: string) => ({
      result: { ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter ${field} is not valid. Reason: ${reason}` },
    });
    for (const field of ['Source', 'DetailType', 'Detail'] as const) {
      if (typeof entry[field] !== 'string' || entry[field] === '') return invalid(field, `${field} is a required argument.`);
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail as string);
    } catch {
      detail = undefined;
    }
    if (!isObject(detail)) return { result: { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' } };
    const busName = busNameOf(entry.EventBusName);
    if (!buses.has(busName)) {
      return { result: { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${busName} does not exist.` } };
    }
    const id = randomUUID();
    return {
      result: { EventId: id },
      event: {
        busName,
        id,
        source: entry.Source as string,
        detailType: entry.DetailType as string,
        detail,
        time: eventTime(entry.Time),
        resources: Array.isArray(entry.Resources) ? entry.Resources.map(String) : [],
      },
    };
  };

  // Delivery failures do not fail the entry: in AWS delivery is asynchronous and retried, and
  // PutEvents has already succeeded. Delivering before replying keeps local tests deterministic.
  const route = async (event: RecordedEvent): Promise<void> => {
    const envelope = {
      version: '0',
      id: event.id,
      'detail-type': event.detailType,
      source: event.source,
      account: options.account,
      time: event.time,
      region: options.region,
      resources: event.resources,
      detail: event.detail,
    };
    for (const { rule, matches, targets } of rules) {
      if (rule.busName !== event.busName || !matches(envelope)) continue;
      for (const { target, body } of targets) {
        await options.deliver(target, body(envelope)).catch((error: unknown) => {
          options.log(`event bus: rule ${rule.name} target ${target.id}: delivery failed: ${String(error)}`);
        });
      }
    }
  };

  const putEvents = async (body: Record<string, unknown>) => {
    const entries = body.Entries;
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_ENTRIES) {
      throw new RequestError(
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`,
      );
    }
    const size = (entries as RequestEntry[]).reduce((n, e) => n + entrySize(isObject(e) ? e : {}), 0);
    if (size > MAX_REQUEST_BYTES)
      throw new RequestError('ValidationException', 'Total size of the entries in the request is over the limit.');
    const outcomes = (entries as unknown[]).map((e) => accept(isObject(e) ? (e as RequestEntry) : {}));
    for (const { event } of outcomes) {
      if (!event) continue;
      events.push(event);
      await route(event);
    }
    return {
      FailedEntryCount: outcomes.filter((o) => !o.event).length,
      Entries: outcomes.map((o) => o.result),
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readAll(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    const [prefix, operation] = target.split('.');
    try {
      if (req.method !== 'POST' || prefix !== 'AWSEvents' || !operation) {
        throw new RequestError('UnknownOperationException', `Unknown operation ${target || '(no X-Amz-Target)'}`);
      }
      if (operation !== 'PutEvents') {
        throw new RequestError('UnknownOperationException', `${operation} is not emulated locally (only PutEvents)`);
      }
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8') || '{}');
      } catch {
        throw new RequestError('SerializationException', 'The request body is not valid JSON.');
      }
      reply(res, 200, await putEvents(isObject(body) ? body : {}));
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      reply(res, 400, { __type: error.code, message: error.message });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.log(`event bus: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) reply(res, 500, { __type: 'InternalException', message: 'local event bus failed' });
      else res.destroy();
    });
  });
  const { url, close } = await listenOnLoopback(server);
  return { url, events, close };
}
