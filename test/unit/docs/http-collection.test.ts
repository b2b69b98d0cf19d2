/** patron.http, the request collection generated from the OpenAPI document (cli/http-collection.ts). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiDocument } from '@patron/core';
import { httpCollection, type OpenApiDoc, pathVariable, patronHttpCollection, sampleValue } from '../../../cli/http-collection.js';
import { DEV_API_KEY } from '../../../local/dev-config.js';

const doc = openApiDocument() as unknown as OpenApiDoc;
const options = { baseUrl: 'http://localhost:3000', apiKey: 'k' };

/** `### operationId...` blocks of a collection, by operation id. */
function requests(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const block of text.split(/^### /m).slice(1)) out.set(block.split(/[:\n]/)[0]!, block);
  return out;
}

describe('patron.http', () => {
  it('is what `npm run generate:http` makes of the current OpenAPI document (rerun it after changing a route)', () => {
    const committed = readFileSync(join(process.cwd(), 'patron.http'), 'utf8');
    expect(committed).toBe(patronHttpCollection());
  });

  it('keeps the requests that erase data last, each marked destructive', () => {
    const requests = patronHttpCollection().split('\n### ').slice(1);
    const deletes = requests.filter((r) => /\nDELETE /.test(r));
    expect(deletes.length).toBeGreaterThan(0);
    expect(requests.slice(-deletes.length)).toEqual(deletes);
    for (const r of deletes) expect(r).toContain('# DESTRUCTIVE');
  });

  it('uses the dev API key npm start accepts', () => {
    expect(patronHttpCollection()).toContain(`\n@apiKey = ${DEV_API_KEY}\n`);
  });

  it('has one request per operation, with its method and path', () => {
    const text = httpCollection(doc, options);
    const byId = requests(text);
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => ({ id: op.operationId, method: method.toUpperCase(), path })),
    );
    expect([...byId.keys()].sort()).toEqual(operations.map((o) => o.id).sort());
    for (const o of operations) {
      const url = o.path.replace(/\{(\w+)\}/g, (_, p: string) => `{{${pathVariable(o.path, p)}}}`);
      expect({ id: o.id, line: byId.get(o.id)!.includes(`\n${o.method} {{baseUrl}}${url}`) }).toEqual({ id: o.id, line: true });
    }
  });

  it('sends the API key where the operation needs it, and not on the public ones', () => {
    const byId = requests(httpCollection(doc, options));
    expect(byId.get('getCustomer')).toContain('\nx-api-key: {{apiKey}}\n');
    expect(byId.get('getHealth')).not.toContain('x-api-key');
    expect(byId.get('receiveWebhook')).toContain('npx patron send-webhook');
  });

  it('declares each path variable once, with a placeholder or the parameter’s first allowed value', () => {
    const text = httpCollection(doc, options);
    expect(text.match(/^@customerId = /gm)).toHaveLength(1);
    expect(text).toContain('\n@customerId = customer-id-here\n');
    expect(text).toContain('\n@source = generic\n');
    expect(text).toMatch(/^@baseUrl = http:\/\/localhost:3000$/m);
  });
});

describe('request bodies', () => {
  const tiny: OpenApiDoc = {
    paths: {
      '/things': {
        post: {
          operationId: 'createThing',
          security: [{ apiKey: [] }],
          requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } },
        },
      },
      '/things/{id}': {
        patch: {
          operationId: 'changeThing',
          parameters: [{ in: 'path', name: 'id', required: true }],
          requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Change' } } } },
        },
      },
    },
    components: {
      schemas: {
        Thing: {
          type: 'object',
          required: ['name', 'size', 'tags', 'at'],
          properties: {
            name: { type: 'string' },
            size: { type: 'integer', minimum: 3 },
            tags: { type: 'array', minItems: 1, items: { type: 'string', enum: ['a', 'b'] } },
            at: { type: 'string', format: 'date-time' },
            note: { type: 'string' },
          },
        },
        Change: { type: 'object', properties: { status: { type: 'string' } }, example: { status: 'done' } },
      },
    },
  };

  it('uses the schema’s example when it gives one, verbatim', () => {
    const change = requests(httpCollection(tiny, options)).get('changeThing')!;
    expect(change).toContain('\n\n{\n  "status": "done"\n}');
    expect(change).not.toContain('# body: the required fields');
    expect(change).toContain('PATCH {{baseUrl}}/things/{{thingId}}');
  });

  it('otherwise builds the required fields from the schema, and says so', () => {
    const create = requests(httpCollection(tiny, options)).get('createThing')!;
    expect(create).toContain('# body: the required fields of the schema, with placeholder values');
    const json = JSON.parse(create.slice(create.indexOf('\n{')));
    expect(json).toEqual({ name: '<name>', size: 3, tags: ['a'], at: '2025-01-01T00:00:00Z' });
  });

  it('follows $ref, oneOf and defaults', () => {
    const schemas = { A: { type: 'object', required: ['n'], properties: { n: { type: 'number', default: 7 } } } };
    const d: OpenApiDoc = { paths: {}, components: { schemas } };
    expect(sampleValue(d, { oneOf: [{ $ref: '#/components/schemas/A' }, { type: 'string' }] })).toEqual({ n: 7 });
    expect(() => sampleValue(d, { $ref: '#/components/schemas/Missing' })).toThrow('unresolved $ref');
  });

  it('names path variables after the resource they identify', () => {
    expect(pathVariable('/customers/{id}/flags', 'id')).toBe('customerId');
    expect(pathVariable('/mining-runs/{id}', 'id')).toBe('miningRunId');
    expect(pathVariable('/webhooks/{source}', 'source')).toBe('source');
  });
});
