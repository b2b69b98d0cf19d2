/**
 * Writes patron.http, a request collection for the VS Code REST Client and the JetBrains HTTP
 * Client, from the OpenAPI document (layers/core/src/openapi.ts, the one GET /openapi.json
 * serves): one request per operation, so it cannot miss a route or keep a removed one.
 *
 *   npm run generate:http            (npx tsx cli/http-collection.ts [--out FILE])
 *
 * test/unit/docs/http-collection.test.ts fails when the committed patron.http differs from a
 * fresh generation: rerun the command after changing a route.
 */
import { pathToFileURL } from 'node:url';
import { openApiDocument } from '../layers/core/src/openapi.js';
import { Opts, parse } from './args.js';
import { DEV_API_KEY } from './dev-secrets.js';
import { CliError } from './errors.js';
import { writeText } from './files.js';
import { processIo } from './io.js';

export const DEFAULT_OUT = 'patron.http';

// The subset of OpenAPI 3.1 the collection reads.
interface Schema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  example?: unknown;
  examples?: unknown[];
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  minItems?: number;
  minimum?: number;
  minLength?: number;
}
interface Parameter {
  in: 'path' | 'query' | 'header' | 'cookie';
  name: string;
  required?: boolean;
  example?: unknown;
  schema?: Schema;
}
interface Operation {
  operationId: string;
  /** Ends something for good (a campaign): listed after the requests that use it. */
  'x-patron-final'?: boolean;
  summary?: string;
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema; example?: unknown }> };
}
export interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

export interface CollectionOptions {
  baseUrl: string;
  apiKey: string;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

function resolve(doc: OpenApiDoc, schema: Schema): Schema {
  let s = schema;
  for (let hops = 0; s.$ref && hops < 20; hops++) {
    const name = s.$ref.replace(/^#\/components\/schemas\//, '');
    const target = doc.components?.schemas?.[name];
    if (!target) throw new Error(`unresolved $ref ${s.$ref}`);
    s = target;
  }
  return s;
}

/** The schema's own example, if it gives one (`example`, or the first of `examples`). */
function exampleOf(schema: Schema): { value: unknown } | undefined {
  if (schema.example !== undefined) return { value: schema.example };
  if (schema.examples?.length) return { value: schema.examples[0] };
  return undefined;
}

const STRING_FORMATS: Record<string, string> = {
  email: 'ann@example.com',
  'date-time': '2025-01-01T00:00:00Z',
  date: '2025-01-01',
  uri: 'https://example.com/',
};

/**
 * A value the schema accepts in shape: its example, default, const or first enum value where it
 * has one, else a placeholder by type. Objects get their required properties only: the smallest
 * body to start from, not a guess at what a caller wants.
 */
export function sampleValue(doc: OpenApiDoc, schema: Schema, name = 'value', depth = 0): unknown {
  const s = resolve(doc, schema);
  const own = exampleOf(s);
  if (own) return own.value;
  if (s.default !== undefined) return s.default;
  if (s.const !== undefined) return s.const;
  if (s.enum?.length) return s.enum[0];
  const variant = s.oneOf?.[0] ?? s.anyOf?.[0];
  if (variant) return sampleValue(doc, variant, name, depth);
  if (depth > 8) return null;
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const key of s.required ?? []) {
        const prop = s.properties?.[key];
        out[key] = prop ? sampleValue(doc, prop, key, depth + 1) : null;
      }
      return out;
    }
    case 'array':
      return s.items && (s.minItems ?? 0) > 0 ? [sampleValue(doc, s.items, name, depth + 1)] : [];
    case 'integer':
    case 'number':
      return s.minimum ?? 1;
    case 'boolean':
      return false;
    case 'string':
      return (s.format && STRING_FORMATS[s.format]) ?? `<${name}>`;
    default:
      return null;
  }
}

/** The body of a request: the media type's or schema's example when there is one (`fromExample`). */
export function requestBody(doc: OpenApiDoc, op: Operation): { json: string; fromExample: boolean } | undefined {
  const media = op.requestBody?.content['application/json'];
  if (!media) return undefined;
  const example = media.example !== undefined ? { value: media.example } : exampleOf(resolve(doc, media.schema));
  const value = example ? example.value : sampleValue(doc, media.schema, 'body');
  return { json: JSON.stringify(value, null, 2), fromExample: example !== undefined };
}

/** `/customers/{id}` -> `customerId`: a file variable per kind of id, shared by its routes. */
export function pathVariable(path: string, param: string): string {
  if (param !== 'id') return param;
  const segments = path.split('/');
  const before = segments[segments.indexOf('{id}') - 1] ?? 'resource';
  const singular = before.replace(/s$/, '');
  return `${singular.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())}Id`;
}

/** `customerId` -> `customer-id-here`: obviously not an id, and a 404 rather than a 422 when sent. */
const placeholder = (variable: string) => `${variable.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}-here`;

/** The text of patron.http. Deterministic: the document's order, no timestamps. */
export function httpCollection(doc: OpenApiDoc, options: CollectionOptions): string {
  const variables = new Map<string, string>([
    ['baseUrl', options.baseUrl],
    ['apiKey', options.apiKey],
  ]);
  const requests: string[] = [];
  const final: string[] = [];
  const destructive: string[] = [];

  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const params = op.parameters ?? [];
      let url = path;
      for (const p of params.filter((x) => x.in === 'path')) {
        const variable = pathVariable(path, p.name);
        const schema = p.schema ? resolve(doc, p.schema) : {};
        // A path parameter with a fixed set of values (the webhook source) starts at its first.
        const initial = p.example ?? exampleOf(schema)?.value ?? schema.enum?.[0] ?? placeholder(variable);
        if (!variables.has(variable)) variables.set(variable, String(initial));
        url = url.replace(`{${p.name}}`, `{{${variable}}}`);
      }
      const query = params.filter((x) => x.in === 'query');
      const required = query.filter((q) => q.required);
      if (required.length) {
        url += `?${required
          .map((q) => `${q.name}=${encodeURIComponent(String(q.example ?? sampleValue(doc, q.schema ?? {}, q.name)))}`)
          .join('&')}`;
      }

      const lines = [`### ${op.operationId}${op.summary ? `: ${op.summary}` : ''}`, `# @name ${op.operationId}`];
      const optional = query.filter((q) => !q.required).map((q) => q.name);
      if (optional.length) lines.push(`# optional query: ${optional.join(', ')}`);
      const optionalHeaders = params.filter((x) => x.in === 'header' && !x.required).map((h) => h.name);
      const schemes = (op.security ?? []).flatMap((s) => Object.keys(s));
      const signed = schemes.length > 0 && !schemes.includes('apiKey');
      if (signed) {
        // A signature covers a fresh timestamp, which a static file cannot hold.
        lines.push(
          '# Provider-signed: this request is refused (401) as it stands. Sign and send a body with',
          '#   npx patron send-webhook --source <source> --event FILE   (see docs/webhook-signing.md)',
        );
      } else if (optionalHeaders.length) {
        lines.push(`# optional headers: ${optionalHeaders.join(', ')}`);
      }
      if (method === 'delete') {
        lines.push('# DESTRUCTIVE: it cannot be undone. Kept last in this file, as in the README.');
      }
      const body = requestBody(doc, op);
      if (body && !body.fromExample) lines.push('# body: the required fields of the schema, with placeholder values');
      lines.push(`${method.toUpperCase()} {{baseUrl}}${url}`);
      if (schemes.includes('apiKey')) lines.push('x-api-key: {{apiKey}}');
      if (body) lines.push('content-type: application/json', '', body.json);
      (method === 'delete' ? destructive : op['x-patron-final'] ? final : requests).push(lines.join('\n'));
    }
  }
  // A reader stepping through the file meets what ends a thing after what uses it, and erasures last.
  requests.push(...final, ...destructive);

  const header = [
    '# Patron API: one request per operation of the OpenAPI document (GET /openapi.json).',
    '# For the VS Code REST Client and the JetBrains HTTP Client. Generated from',
    '# layers/core/src/openapi.ts by `npm run generate:http`: do not edit by hand.',
    '# Start the API with `npm start`; set the ids below from its answers.',
    '',
    ...[...variables].map(([name, value]) => `@${name} = ${value}`),
  ].join('\n');
  return `${[header, ...requests].join('\n\n')}\n`;
}

/** The collection of this repository: the live document, the local URL and the dev key. */
export function patronHttpCollection(): string {
  return httpCollection(openApiDocument() as unknown as OpenApiDoc, { baseUrl: 'http://localhost:3000', apiKey: DEV_API_KEY });
}

const USAGE = `Usage: npx tsx cli/http-collection.ts [--out FILE]

Writes the request collection (default ${DEFAULT_OUT}) from the OpenAPI document.
`;

const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(entry).href) {
  const io = processIo();
  try {
    const o = new Opts(parse(process.argv.slice(2), { out: { type: 'string' } }, USAGE).values, USAGE);
    const out = o.string('out') ?? DEFAULT_OUT;
    writeText(out, patronHttpCollection());
    io.stdout.write(`wrote ${out}\n`);
  } catch (err) {
    io.stderr.write(`${err instanceof CliError ? err.message : String(err)}\n${USAGE}`);
    process.exitCode = err instanceof CliError ? err.exitCode : 1;
  }
}
