import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FUNCTION_NAMES, openApiDocument, ROUTES, RULE_NAMES } from '@patron/core';
import { FUNCTIONS } from '../../infra/definitions.js';

type Operation = {
  parameters?: { in: string; name: string }[];
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<
    string,
    { content?: Record<string, { schema: { $ref?: string; anyOf?: { $ref?: string }[] } }>; headers?: Record<string, unknown> }
  >;
};
type Doc = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
};

const doc = openApiDocument() as unknown as Doc;
const ref = (name: string) => `#/components/schemas/${name}`;

describe('OpenAPI document', () => {
  it('describes every HTTP route of infra/definitions.ts', () => {
    const routes = FUNCTIONS.flatMap((f) => (f.routes ?? []).map((r) => `${r.method} ${r.path}`));
    const missing = routes.filter((route) => {
      const [method, path] = route.split(' ') as [string, string];
      return !doc.paths[path]?.[method.toLowerCase()];
    });
    expect(missing).toEqual([]);
  });

  it('describes the offers endpoints with the schemas the handler validates with', () => {
    const check = doc.paths['/offers/check']!.post!;
    expect(check.requestBody?.content['application/json']?.schema.$ref).toBe(ref('OfferRequest'));
    expect(check.responses['200']?.content?.['application/json']?.schema.$ref).toBe(ref('OfferEvaluation'));

    const register = doc.paths['/offers']!.post!;
    expect(register.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'idempotency-key' })]));
    expect(register.responses['201']?.content?.['application/json']?.schema.$ref).toBe(ref('OfferRegistration'));
    expect(register.responses['201']?.headers).toHaveProperty('idempotent-replayed');
    expect(register.responses['409']?.content?.['application/json']?.schema.anyOf).toEqual(
      expect.arrayContaining([{ $ref: ref('OfferBlocked') }]),
    );
    expect(Object.keys(register.responses)).toEqual(expect.arrayContaining(['201', '404', '409', '422']));

    const patch = doc.paths['/offers/{id}']!.patch!;
    expect(patch.requestBody?.content['application/json']?.schema.$ref).toBe(ref('OfferStatusChange'));
    expect(Object.keys(patch.responses)).toEqual(expect.arrayContaining(['200', '404', '409', '422']));
    expect(doc.paths['/offers/{id}']!.get!.responses['200']?.content?.['application/json']?.schema.$ref).toBe(ref('OfferWithAudit'));
    expect(doc.paths['/customers/{id}/offers']!.get!.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ in: 'query', name: 'status' })]),
    );

    const schemas = doc.components.schemas;
    expect(schemas.Offer?.required).toEqual(expect.arrayContaining(['id', 'customerId', 'status', 'createdAt', 'updatedAt']));
    expect(schemas.OfferAuditRecord?.properties).toHaveProperty('action');
    expect(schemas.OfferRequest?.properties).toHaveProperty('override');
  });

  it('names every rule in the check description', () => {
    const description = (doc.paths['/offers/check']!.post as unknown as { description: string }).description;
    for (const rule of RULE_NAMES) expect(description).toContain(rule);
  });

  it('passes @redocly/cli lint with its recommended rules: no error and no warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'patron-openapi-'));
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(openApiDocument()));
    const run = spawnSync(join(process.cwd(), 'node_modules', '.bin', 'redocly'), ['lint', file, '--format=json'], {
      cwd: dir,
      encoding: 'utf8',
    });
    const report = JSON.parse(run.stdout) as {
      totals: { errors: number; warnings: number };
      problems: { ruleId: string; message: string }[];
    };
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 60_000);

  it('gives every operation an operationId, a summary, a 4xx and a 5xx response', () => {
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods) as [string, Operation & { operationId?: string; summary?: string }][]) {
        expect({ route: `${method} ${path}`, operationId: typeof op.operationId, summary: typeof op.summary }).toEqual({
          route: `${method} ${path}`,
          operationId: 'string',
          summary: 'string',
        });
        const statuses = Object.keys(op.responses);
        expect(statuses.some((s) => s.startsWith('4'))).toBe(true);
        expect(statuses).toContain('500');
      }
    }
  });

  it("documents 401 exactly on the routes the table protects, and each webhook source's signature header", () => {
    for (const route of ROUTES) {
      const op = doc.paths[route.path]![route.method.toLowerCase()]!;
      expect({ route: `${route.method} ${route.path}`, has401: '401' in op.responses }).toEqual({
        route: `${route.method} ${route.path}`,
        has401: route.auth !== 'none',
      });
    }
    const schemes = (
      openApiDocument() as unknown as { components: { securitySchemes: Record<string, { name?: string; scheme?: string }> } }
    ).components.securitySchemes;
    expect(
      Object.values(schemes)
        // http schemes (the signed-in user's bearer token) have no header name of their own.
        .map((s) => (s.name ?? `authorization: ${s.scheme}`).toLowerCase())
        .sort(),
    ).toEqual(
      [
        'authorization: bearer',
        'stripe-signature',
        'webhook-signature',
        'x-api-key',
        'x-shopify-hmac-sha256',
        'x-zendesk-webhook-signature',
      ].sort(),
    );
  });
});

describe('route table', () => {
  it('names exactly the functions of infra/definitions.ts, and gives each function the routes CDK wires', () => {
    expect(FUNCTIONS.map((f) => f.name).sort()).toEqual([...FUNCTION_NAMES].sort());
    for (const fn of FUNCTIONS) {
      expect({ fn: fn.name, routes: fn.routes ?? [] }).toEqual({
        fn: fn.name,
        routes: ROUTES.filter((r) => r.fn === fn.name).map((r) => ({ method: r.method, path: r.path })),
      });
    }
  });

  it('has unique route keys and operation ids', () => {
    expect(new Set(ROUTES.map((r) => `${r.method} ${r.path}`)).size).toBe(ROUTES.length);
    expect(new Set(ROUTES.map((r) => r.operationId)).size).toBe(ROUTES.length);
  });
});

describe('documented response headers', () => {
  it('documents the Location header of a started mining run', () => {
    const started = (doc.paths['/mining-runs']!.post as Operation).responses['202'];
    expect(started?.headers).toHaveProperty('location');
  });
});
