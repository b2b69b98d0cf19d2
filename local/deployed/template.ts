/**
 * Reads a synthesized CloudFormation template (cdk.out/Patron.template.json) into what the
 * embedded runtime needs: the resources to create, and per function its code asset, layers,
 * environment, IAM statements, routes, queue trigger and schedules. Pure: no I/O beyond what the
 * caller passes in, so test/unit/local/ pins it down on small hand-written templates.
 *
 * Intrinsics (Ref, Fn::GetAtt, Fn::Join, Fn::Sub without variables map) resolve through a
 * `References` map that the runtime fills with the local resources' names and ARNs.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../layers/core/src/time.js';
import type { HttpMethod } from '../../infra/definitions.js';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
}

/** What `Ref` and `Fn::GetAtt` give for one logical id, locally. */
export interface LocalReference {
  ref: string;
  attributes: Record<string, string>;
}

export type References = ReadonlyMap<string, LocalReference>;

export class TemplateError extends Error {
  override name = 'TemplateError';
}

/** The construct path CDK records for each resource, e.g. `Patron/Functions/webhook/Handler/Resource`. */
export const cdkPath = (resource: CfnResource): string => String(resource.Metadata?.['aws:cdk:path'] ?? '');

/**
 * Resolves a template value against local references. `pseudo` supplies AWS::Region and friends.
 * Throws on anything it cannot resolve, naming it: a silent `undefined` would hide a wiring bug.
 */
export function resolveValue(value: unknown, refs: References, pseudo: Record<string, string>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, refs, pseudo));
  const node = value as Record<string, unknown>;
  const keys = Object.keys(node);
  if (keys.length === 1) {
    const [key] = keys as [string];
    const arg = node[key];
    if (key === 'Ref') {
      const name = String(arg);
      if (name in pseudo) return pseudo[name];
      const ref = refs.get(name);
      if (!ref) throw new TemplateError(`Ref to ${name}, which has no local counterpart`);
      return ref.ref;
    }
    if (key === 'Fn::GetAtt') {
      const [logicalId, attribute] = (Array.isArray(arg) ? arg : String(arg).split('.')) as [string, string];
      const value = refs.get(logicalId)?.attributes[attribute];
      if (value === undefined) throw new TemplateError(`Fn::GetAtt ${logicalId}.${attribute} has no local value`);
      return value;
    }
    if (key === 'Fn::Join') {
      const [delimiter, items] = arg as [string, unknown[]];
      return (resolveValue(items, refs, pseudo) as unknown[]).map(String).join(delimiter);
    }
    if (key === 'Fn::Sub' && typeof arg === 'string') {
      return arg.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
        if (name in pseudo) return pseudo[name]!;
        const [logicalId, attribute] = name.split('.') as [string, string | undefined];
        const ref = refs.get(logicalId);
        const out = attribute ? ref?.attributes[attribute] : ref?.ref;
        if (out === undefined) throw new TemplateError(`Fn::Sub cannot resolve \${${name}}`);
        return out;
      });
    }
    if (key.startsWith('Fn::')) throw new TemplateError(`${key} is not emulated locally`);
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolveValue(v, refs, pseudo)]));
}

/** The logical id a `Ref` or `Fn::GetAtt` points at, or undefined for anything else. */
export function referencedId(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const node = value as Record<string, unknown>;
  if (typeof node.Ref === 'string') return node.Ref;
  const getAtt = node['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return String(getAtt[0]);
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return undefined;
}

/** Every logical id a value references (Ref, Fn::GetAtt and Fn::Sub's `${Id}` / `${Id.Attr}`), at any depth. */
export function referencedIds(value: unknown): string[] {
  if (value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap(referencedIds);
  const direct = referencedId(value);
  if (direct !== undefined) return [direct];
  const node = value as Record<string, unknown>;
  const sub = node['Fn::Sub'];
  if (typeof sub === 'string') return [...sub.matchAll(/\$\{([^}.!]+)(?:\.[^}]+)?\}/g)].map((m) => m[1]!);
  return Object.values(node).flatMap(referencedIds);
}

/**
 * Sign-in (infra/constructs/sign-in.ts) has no local counterpart: there is no local Cognito, so no
 * user pool, hosted UI or JWKS to verify tokens against. A function variable that references a
 * Cognito resource (SIGN_IN_USER_POOL_ID, SIGN_IN_CLIENT_ID, SIGN_IN_DOMAIN) is therefore set to
 * '' locally, which the core reads as "sign-in not configured" (config.ts): API keys work as in
 * AWS, and a Bearer token is refused with 401 without any network call. This is the one place
 * the local runtime decides it.
 */
export function isLocallyUnconfigured(value: unknown, template: CfnTemplate): boolean {
  return referencedIds(value).some((id) => template.Resources[id]?.Type.startsWith('AWS::Cognito::') ?? false);
}

export interface PolicyStatement {
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: unknown[];
  Condition?: unknown;
}

export interface TemplateRoute {
  method: HttpMethod;
  path: string;
}

export interface TemplateQueueTrigger {
  queueLogicalId: string;
  batchSize: number;
  reportBatchItemFailures: boolean;
}

export interface TemplateFunction {
  logicalId: string;
  /** The definition name: the construct path segment after `Functions/`. */
  name: string;
  /** The code asset folder inside the cloud assembly (`asset.<hash>`). */
  assetPath: string;
  /** `index.handler` */
  handler: string;
  runtime: string;
  memoryMb: number;
  timeoutSeconds: number;
  /** Layer asset folders, in the order Lambda extracts them. */
  layerAssetPaths: string[];
  /** Unresolved: values may be intrinsics. */
  environment: Record<string, unknown>;
  statements: PolicyStatement[];
  routes: TemplateRoute[];
  queueTriggers: TemplateQueueTrigger[];
}

export interface TemplateSchedule {
  logicalId: string;
  expression: string;
  targets: { targetLogicalId: string; input?: string }[];
}

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const resourcesOfType = (template: CfnTemplate, type: string): [string, CfnResource][] =>
  Object.entries(template.Resources).filter(([, r]) => r.Type === type);

/** Every function of the template with what reaches it: role policies, routes, queue triggers. */
export function readFunctions(template: CfnTemplate): TemplateFunction[] {
  const functions = resourcesOfType(template, 'AWS::Lambda::Function');
  return functions.map(([logicalId, resource]) => {
    const p = resource.Properties ?? {};
    const path = cdkPath(resource);
    const name = /\/Functions\/([^/]+)\//.exec(path)?.[1];
    if (!name) throw new TemplateError(`${logicalId} (${path}) is not under a Functions construct`);
    const assetPath = resource.Metadata?.['aws:asset:path'];
    if (typeof assetPath !== 'string') throw new TemplateError(`${logicalId} has no code asset (aws:asset:path)`);
    const roleId = referencedId(p.Role);
    const layerAssetPaths = asArray(p.Layers as unknown[]).map((layer) => {
      const layerId = referencedId(layer);
      const layerAsset = layerId ? template.Resources[layerId]?.Metadata?.['aws:asset:path'] : undefined;
      if (typeof layerAsset !== 'string') throw new TemplateError(`${logicalId} uses a layer without a local asset`);
      return layerAsset;
    });
    return {
      logicalId,
      name,
      assetPath,
      handler: String(p.Handler ?? 'index.handler'),
      runtime: String(p.Runtime ?? ''),
      memoryMb: Number(p.MemorySize ?? 128),
      timeoutSeconds: Number(p.Timeout ?? 3),
      layerAssetPaths,
      environment: (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {},
      statements: roleId ? roleStatements(template, roleId) : [],
      routes: routesOf(template, logicalId),
      queueTriggers: queueTriggersOf(template, logicalId),
    };
  });
}

/** Identity-based statements: every AWS::IAM::Policy attached to the role, plus its inline policies. */
function roleStatements(template: CfnTemplate, roleId: string): PolicyStatement[] {
  const documents: unknown[] = [];
  const role = template.Resources[roleId];
  for (const inline of asArray(role?.Properties?.Policies as { PolicyDocument: unknown }[])) documents.push(inline.PolicyDocument);
  for (const [, policy] of resourcesOfType(template, 'AWS::IAM::Policy')) {
    const roles = asArray(policy.Properties?.Roles as unknown[]).map(referencedId);
    if (roles.includes(roleId)) documents.push(policy.Properties?.PolicyDocument);
  }
  if (asArray(role?.Properties?.ManagedPolicyArns as unknown[]).length > 0) {
    // Managed policies live outside the template: refusing to guess keeps the emulation honest.
    throw new TemplateError(`role ${roleId} has managed policies, which the local IAM check cannot read`);
  }
  return documents.flatMap((doc) =>
    asArray((doc as { Statement?: unknown } | undefined)?.Statement as Record<string, unknown>[]).map((s) => ({
      Effect: s.Effect === 'Deny' ? ('Deny' as const) : ('Allow' as const),
      Action: asArray(s.Action as string | string[]),
      Resource: asArray(s.Resource as unknown),
      ...(s.Condition !== undefined ? { Condition: s.Condition } : {}),
    })),
  );
}

function routesOf(template: CfnTemplate, functionId: string): TemplateRoute[] {
  const integrations = new Set(
    resourcesOfType(template, 'AWS::ApiGatewayV2::Integration')
      .filter(([, r]) => referencedId(r.Properties?.IntegrationUri) === functionId)
      .map(([id]) => id),
  );
  return resourcesOfType(template, 'AWS::ApiGatewayV2::Route')
    .filter(([, r]) => {
      const target = r.Properties?.Target as { 'Fn::Join'?: [string, unknown[]] } | undefined;
      const parts = target?.['Fn::Join']?.[1] ?? [];
      return parts.some((part) => integrations.has(referencedId(part) ?? ''));
    })
    .map(([, r]) => {
      const [method, path] = String(r.Properties?.RouteKey).split(' ') as [HttpMethod, string];
      return { method, path };
    });
}

function queueTriggersOf(template: CfnTemplate, functionId: string): TemplateQueueTrigger[] {
  return resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')
    .filter(([, r]) => referencedId(r.Properties?.FunctionName) === functionId)
    .map(([id, r]) => {
      const queueLogicalId = referencedId(r.Properties?.EventSourceArn);
      if (!queueLogicalId) throw new TemplateError(`${id} has no queue`);
      return {
        queueLogicalId,
        // Lambda's default for SQS.
        batchSize: Number(r.Properties?.BatchSize ?? 10),
        reportBatchItemFailures: asArray(r.Properties?.FunctionResponseTypes as string[]).includes('ReportBatchItemFailures'),
      };
    });
}

export function readSchedules(template: CfnTemplate): TemplateSchedule[] {
  return resourcesOfType(template, 'AWS::Events::Rule')
    .filter(([, r]) => typeof r.Properties?.ScheduleExpression === 'string' && r.Properties?.State !== 'DISABLED')
    .map(([logicalId, r]) => ({
      logicalId,
      expression: String(r.Properties?.ScheduleExpression),
      targets: asArray(r.Properties?.Targets as Record<string, unknown>[]).map((t) => {
        const targetLogicalId = referencedId(t.Arn);
        if (!targetLogicalId) throw new TemplateError(`schedule ${logicalId} has a target outside the template`);
        return { targetLogicalId, ...(typeof t.Input === 'string' ? { input: t.Input } : {}) };
      }),
    }));
}

export interface TemplateBusRule {
  logicalId: string;
  /** The AWS::Events::EventBus the rule is on. */
  busLogicalId: string;
  /** As written (object, or JSON text); the event bus compiles it. */
  eventPattern: unknown;
  targets: { id: string; targetLogicalId: string; input?: string; inputPath?: string; inputTransformer?: unknown }[];
}

/**
 * Pattern rules on one of the template's own buses. Rules without EventBusName are the schedules
 * (readSchedules); pattern rules on the default bus match AWS service events, which never happen
 * locally, so they are not read.
 */
export function readBusRules(template: CfnTemplate): TemplateBusRule[] {
  return resourcesOfType(template, 'AWS::Events::Rule').flatMap(([logicalId, r]) => {
    const p = r.Properties ?? {};
    const busLogicalId = referencedId(p.EventBusName);
    if (!busLogicalId || template.Resources[busLogicalId]?.Type !== 'AWS::Events::EventBus' || p.State === 'DISABLED') return [];
    if (p.EventPattern === undefined) throw new TemplateError(`rule ${logicalId} on bus ${busLogicalId} has no EventPattern`);
    const targets = asArray(p.Targets as Record<string, unknown>[]).map((t) => {
      const targetLogicalId = referencedId(t.Arn);
      if (!targetLogicalId) throw new TemplateError(`rule ${logicalId} has a target outside the template`);
      return {
        id: String(t.Id ?? targetLogicalId),
        targetLogicalId,
        ...(typeof t.Input === 'string' ? { input: t.Input } : {}),
        ...(typeof t.InputPath === 'string' ? { inputPath: t.InputPath } : {}),
        ...(t.InputTransformer !== undefined ? { inputTransformer: t.InputTransformer } : {}),
      };
    });
    return [{ logicalId, busLogicalId, eventPattern: p.EventPattern, targets }];
  });
}

/** `rate(1 day)` -> milliseconds; cron expressions are not run on a timer locally (fire them by hand). */
export function rateMs(expression: string): number | undefined {
  const m = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (!m) return undefined;
  const unit = { minute: MINUTE_MS, hour: HOUR_MS, day: DAY_MS }[m[2]!.replace(/s$/, '') as 'minute' | 'hour' | 'day'];
  return Number(m[1]) * unit;
}

export const resources = resourcesOfType;
