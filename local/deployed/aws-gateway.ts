/**
 * The one door between the functions and the emulators: every AWS SDK call a function makes
 * locally goes through here (its DYNAMODB_ENDPOINT, SQS_ENDPOINT, S3_ENDPOINT and EVENTBRIDGE_ENDPOINT point at this
 * server), is attributed to the function by the access key id it signed with (each function gets
 * its own, as each Lambda gets its own role), checked against that function's synthesized IAM
 * statements, and refused with AccessDenied as AWS would, or forwarded to DynamoDB Local / fauxqs /
 * the local event bus (SigV4 service `events`).
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  credentialScope,
  evaluate,
  requiredAuthorizations,
  UnmappedRequestError,
  type ArnContext,
  type Authorization,
  type ResolvedStatement,
} from './iam.js';
import { listenOnLoopback, readAll, type Log } from '../util.js';

export interface GatewayIdentity {
  functionName: string;
  roleName: string;
  statements: ResolvedStatement[];
}

export interface AwsGatewayOptions {
  /** service (SigV4 scope name) -> emulator base URL */
  upstream: Record<string, string>;
  identities: ReadonlyMap<string, GatewayIdentity>;
  arn: ArnContext;
  log: Log;
}

export interface AwsGateway {
  url: string;
  /** Refusals so far, newest last (for tests and the log). */
  denials: { functionName: string; action: string; resource: string }[];
  close(): Promise<void>;
}

function refuse(res: ServerResponse, service: string, code: string, message: string): void {
  if (service === 's3') {
    res.writeHead(403, { 'content-type': 'application/xml' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message.replace(/[<&>]/g, '')}</Message></Error>`,
    );
    return;
  }
  // DynamoDB, SQS and EventBridge (JSON protocols) name the error in __type; SQS also in x-amzn-query-error.
  res.writeHead(400, {
    'content-type': service === 'events' ? 'application/x-amz-json-1.1' : 'application/x-amz-json-1.0',
    ...(service === 'sqs' ? { 'x-amzn-query-error': `${code === 'AccessDeniedException' ? 'AccessDenied' : code};Sender` } : {}),
  });
  res.end(JSON.stringify({ __type: `com.amazon.coral.service#${code}`, message }));
}

const deniedMessage = (arn: ArnContext, who: GatewayIdentity, denied: Authorization, explicit: boolean) =>
  `User: arn:aws:sts::${arn.account}:assumed-role/${who.roleName}/${who.functionName} is not authorized to perform: ` +
  `${denied.action} on resource: ${denied.resource} because ` +
  (explicit ? 'an explicit deny in an identity-based policy applies' : `no identity-based policy allows the ${denied.action} action`);

export async function startAwsGateway(options: AwsGatewayOptions): Promise<AwsGateway> {
  const denials: AwsGateway['denials'] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readAll(req);
    const url = req.url ?? '/';
    const scope = credentialScope(req.headers, url);
    const identity = scope && options.identities.get(scope.accessKeyId);
    if (!scope || !identity) {
      refuse(res, scope?.service ?? 'dynamodb', 'UnrecognizedClientException', 'The security token included in the request is invalid.');
      return;
    }
    let needed: Authorization[];
    try {
      needed = requiredAuthorizations(
        { service: scope.service, method: req.method ?? 'GET', url, headers: req.headers, body },
        options.arn,
      );
    } catch (error) {
      if (!(error instanceof UnmappedRequestError)) throw error;
      options.log(`AccessDenied: ${identity.functionName}: ${error.message}`);
      refuse(res, scope.service, 'AccessDeniedException', error.message);
      return;
    }
    const decision = evaluate(identity.statements, needed);
    if (!decision.allowed && decision.denied) {
      denials.push({ functionName: identity.functionName, action: decision.denied.action, resource: decision.denied.resource });
      const message = deniedMessage(options.arn, identity, decision.denied, decision.denied.reason === 'explicit-deny');
      options.log(`AccessDenied: ${message}`);
      refuse(res, scope.service, 'AccessDeniedException', message);
      return;
    }
    const upstream = options.upstream[scope.service];
    if (!upstream) {
      refuse(res, scope.service, 'AccessDeniedException', `no local emulator for ${scope.service}`);
      return;
    }
    const target = new URL(url, upstream);
    await new Promise<void>((resolve, reject) => {
      const forward = request(
        target,
        { method: req.method, headers: { ...req.headers, host: target.host, 'content-length': String(body.length) } },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
          upstreamRes.on('end', resolve);
          upstreamRes.on('error', reject);
        },
      );
      forward.on('error', reject);
      forward.end(body);
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.log(`AWS gateway: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) {
        res.writeHead(503, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ __type: 'com.amazon.coral.service#ServiceUnavailableException', message: 'emulator unreachable' }));
      } else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  const { url, close } = await listenOnLoopback(server);
  return { url, denials, close };
}
