import { openApiDocument, RULE_NAMES } from '@patron/core';
import { FUNCTIONS } from '../../infra/definitions.js';

type Operation = {
  parameters?: { in: string; name: string }[];
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string; anyOf?: { $ref?: string }[] } }>; headers?: Record<string, unknown> }>;
};
type Doc = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> } };

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
    expect(register.responses['409']?.content?.['application/json']?.schema.anyOf).toEqual(expect.arrayContaining([{ $ref: ref('OfferBlocked') }]));
    expect(Object.keys(register.responses)).toEqual(expect.arrayContaining(['201', '404', '409', '422']));

    const patch = doc.paths['/offers/{id}']!.patch!;
    expect(patch.requestBody?.content['application/json']?.schema.$ref).toBe(ref('OfferStatusChange'));
    expect(Object.keys(patch.responses)).toEqual(expect.arrayContaining(['200', '404', '409', '422']));
    expect(doc.paths['/offers/{id}']!.get!.responses['200']?.content?.['application/json']?.schema.$ref).toBe(ref('OfferWithAudit'));
    expect(doc.paths['/customers/{id}/offers']!.get!.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'query', name: 'status' })]));

    const schemas = doc.components.schemas;
    expect(schemas.Offer?.required).toEqual(expect.arrayContaining(['id', 'customerId', 'status', 'createdAt', 'updatedAt']));
    expect(schemas.OfferAuditRecord?.properties).toHaveProperty('action');
    expect(schemas.OfferRequest?.properties).toHaveProperty('override');
  });

  it('names every rule in the check description', () => {
    const description = (doc.paths['/offers/check']!.post as unknown as { description: string }).description;
    for (const rule of RULE_NAMES) expect(description).toContain(rule);
  });
});
