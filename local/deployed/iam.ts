/**
 * The local IAM check: which actions on which resources an AWS API request needs, and whether a
 * function's resolved identity-based statements allow them, with IAM's rules (an explicit Deny
 * wins, otherwise some Allow must match both action and resource; `*` and `?` are wildcards,
 * actions compare case-insensitively, resources case-sensitively). Pure, for unit tests.
 *
 * Only what Patron's functions call is mapped (DynamoDB, SQS, S3, EventBridge PutEvents); any other service is refused,
 * so a new dependency shows up here before it surprises anyone in AWS.
 */
export interface ResolvedStatement {
  effect: 'Allow' | 'Deny';
  actions: string[];
  resources: string[];
  /** Conditions are not evaluated locally: a conditional Allow never matches (fail closed). */
  conditional: boolean;
}

export interface Authorization {
  action: string;
  resource: string;
}

export interface Decision {
  allowed: boolean;
  /** The first authorization that failed, for the AccessDenied message. */
  denied?: Authorization & { reason: 'explicit-deny' | 'no-allow' };
}

const globCache = new Map<string, RegExp>();

function glob(pattern: string, flags: string): RegExp {
  const key = `${flags}:${pattern}`;
  let re = globCache.get(key);
  if (!re) {
    const body = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, flags);
    globCache.set(key, re);
  }
  return re;
}

const matchesAction = (pattern: string, action: string) => glob(pattern, 'i').test(action);
const matchesResource = (pattern: string, resource: string) => glob(pattern, '').test(resource);

const applies = (s: ResolvedStatement, a: Authorization) =>
  s.actions.some((p) => matchesAction(p, a.action)) && s.resources.some((p) => matchesResource(p, a.resource));

export function evaluate(statements: readonly ResolvedStatement[], needed: readonly Authorization[]): Decision {
  for (const authorization of needed) {
    if (statements.some((s) => s.effect === 'Deny' && applies(s, authorization))) {
      return { allowed: false, denied: { ...authorization, reason: 'explicit-deny' } };
    }
    if (!statements.some((s) => s.effect === 'Allow' && !s.conditional && applies(s, authorization))) {
      return { allowed: false, denied: { ...authorization, reason: 'no-allow' } };
    }
  }
  return { allowed: true };
}

export interface AwsRequest {
  /** From the SigV4 credential scope: `dynamodb`, `sqs`, `s3`, ... */
  service: string;
  method: string;
  /** Path and query, as received. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface ArnContext {
  region: string;
  account: string;
}

export class UnmappedRequestError extends Error {
  override name = 'UnmappedRequestError';
}

const header = (req: AwsRequest, name: string): string => {
  const v = req.headers[name];
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
};

function jsonBody(req: AwsRequest): Record<string, unknown> {
  try {
    return JSON.parse(req.body.toString('utf8') || '{}') as Record<string, unknown>;
  } catch {
    throw new UnmappedRequestError(`${req.service} request body is not JSON`);
  }
}

/** The actions and resources an AWS API request needs, as IAM would authorize it. */
export function requiredAuthorizations(req: AwsRequest, arn: ArnContext): Authorization[] {
  switch (req.service) {
    case 'dynamodb':
      return dynamoDb(req, arn);
    case 'sqs':
      return sqs(req, arn);
    case 's3':
      return s3(req);
    case 'events':
      return events(req, arn);
    default:
      throw new UnmappedRequestError(`calls to ${req.service || 'an unknown service'} are not emulated locally`);
  }
}

function dynamoDb(req: AwsRequest, arn: ArnContext): Authorization[] {
  const operation = header(req, 'x-amz-target').split('.')[1] ?? '';
  if (!operation) throw new UnmappedRequestError('DynamoDB request without X-Amz-Target');
  const body = jsonBody(req);
  const table = (name: unknown, index?: unknown) =>
    `arn:aws:dynamodb:${arn.region}:${arn.account}:table/${String(name)}${index ? `/index/${String(index)}` : ''}`;
  const on = (action: string, resource: string): Authorization => ({ action: `dynamodb:${action}`, resource });
  switch (operation) {
    case 'TransactWriteItems':
      // IAM authorizes each item by its own action; there is no TransactWriteItems permission.
      return ((body.TransactItems as Record<string, { TableName?: string }>[] | undefined) ?? []).map((item) => {
        const [kind, spec] = Object.entries(item)[0] ?? ['', {}];
        const action = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem' }[kind];
        if (!action) throw new UnmappedRequestError(`TransactWriteItems item kind ${kind}`);
        return on(action, table(spec.TableName));
      });
    case 'TransactGetItems':
      return ((body.TransactItems as { Get?: { TableName?: string } }[] | undefined) ?? []).map((item) =>
        on('GetItem', table(item.Get?.TableName)),
      );
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.keys((body.RequestItems as Record<string, unknown> | undefined) ?? {}).map((name) => on(operation, table(name)));
    default:
      return [on(operation, body.TableName === undefined ? '*' : table(body.TableName, body.IndexName))];
  }
}

/** Actions whose batch form IAM authorizes as the single form. */
const SQS_BATCH: Record<string, string> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

function sqs(req: AwsRequest, arn: ArnContext): Authorization[] {
  let operation = header(req, 'x-amz-target').split('.')[1] ?? '';
  let queueUrl: unknown;
  if (operation) {
    queueUrl = jsonBody(req).QueueUrl;
  } else {
    // The older query protocol: form-encoded Action=...&QueueUrl=...
    const form = new URLSearchParams(req.body.toString('utf8'));
    operation = form.get('Action') ?? '';
    queueUrl = form.get('QueueUrl') ?? undefined;
  }
  if (!operation) throw new UnmappedRequestError('SQS request without an action');
  const queueName = typeof queueUrl === 'string' ? new URL(queueUrl).pathname.split('/').filter(Boolean).at(-1) : undefined;
  const resource = queueName ? `arn:aws:sqs:${arn.region}:${arn.account}:${queueName}` : '*';
  return [{ action: `sqs:${SQS_BATCH[operation] ?? operation}`, resource }];
}

/** PutEvents is authorized once per bus its entries name (the account's `default` bus when omitted). */
function events(req: AwsRequest, arn: ArnContext): Authorization[] {
  const operation = header(req, 'x-amz-target').split('.')[1] ?? '';
  if (operation !== 'PutEvents') throw new UnmappedRequestError(`EventBridge ${operation || 'request without X-Amz-Target'}`);
  const entries = jsonBody(req).Entries;
  const busArn = (name: unknown) => {
    const n = typeof name === 'string' && name !== '' ? name : 'default';
    // EventBusName may already be the bus ARN.
    return n.startsWith('arn:') ? n : `arn:aws:events:${arn.region}:${arn.account}:event-bus/${n}`;
  };
  const buses = new Set((Array.isArray(entries) ? entries : []).map((e) => busArn((e as { EventBusName?: unknown } | null)?.EventBusName)));
  // An empty request still needs the permission on something; the service then rejects it.
  if (buses.size === 0) buses.add(busArn(undefined));
  return [...buses].map((resource) => ({ action: 'events:PutEvents', resource }));
}

function s3(req: AwsRequest): Authorization[] {
  // Path-style only (the functions set forcePathStyle locally): /<bucket>/<key>
  const url = new URL(req.url, 'http://local');
  const [bucket = '', ...keyParts] = url.pathname.replace(/^\//, '').split('/');
  const key = keyParts.map(decodeURIComponent).join('/');
  const q = url.searchParams;
  const method = req.method.toUpperCase();
  const bucketArn = `arn:aws:s3:::${bucket}`;
  const objectArn = `${bucketArn}/${key}`;
  const on = (action: string, resource: string): Authorization[] => [{ action: `s3:${action}`, resource }];
  if (!bucket) return on('ListAllMyBuckets', '*');
  if (!key) {
    if (method === 'GET' && (q.has('list-type') || [...q.keys()].length === 0 || q.has('prefix'))) return on('ListBucket', bucketArn);
    if (method === 'HEAD') return on('ListBucket', bucketArn);
    if (method === 'POST' && q.has('delete')) return on('DeleteObject', `${bucketArn}/*`);
    throw new UnmappedRequestError(`S3 ${method} on bucket ${bucket} with ?${q.toString()}`);
  }
  if (method === 'GET' || method === 'HEAD') return on(q.has('tagging') ? 'GetObjectTagging' : 'GetObject', objectArn);
  if (method === 'PUT' || method === 'POST') return on(q.has('tagging') ? 'PutObjectTagging' : 'PutObject', objectArn);
  if (method === 'DELETE') return on(q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject', objectArn);
  throw new UnmappedRequestError(`S3 ${method} ${url.pathname}`);
}

/** The SigV4 access key id and service of a request (header or presigned query). */
export function credentialScope(headers: AwsRequest['headers'], url: string): { accessKeyId: string; service: string } | undefined {
  const auth = (Array.isArray(headers.authorization) ? headers.authorization[0] : headers.authorization) ?? '';
  const credential = /Credential=([^,\s]+)/.exec(auth)?.[1] ?? new URL(url, 'http://local').searchParams.get('X-Amz-Credential') ?? '';
  const [accessKeyId, , , service] = credential.split('/');
  return accessKeyId && service ? { accessKeyId, service } : undefined;
}
