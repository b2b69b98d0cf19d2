import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { z } from 'zod';
import { BadRequestError, ValidationError, type FieldIssue } from '../errors.js';

/** The body exactly as the client sent it; signatures are computed over these bytes. */
export function rawBody(event: APIGatewayProxyEventV2): string {
  if (!event.body) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/** Longer than any id Patron issues or a source sends (event ids are bounded the same way). */
export const MAX_PATH_PARAM_LENGTH = 255;

/**
 * A path parameter as API Gateway gives it: already percent-decoded once (decoding it again
 * turned `%25` into a URIError and `%2567eneric` into `generic`).
 */
export function pathParam(event: APIGatewayProxyEventV2, name: string): string {
  const value = event.pathParameters?.[name];
  if (!value) throw new BadRequestError(`Missing path parameter '${name}'`);
  if (value.length > MAX_PATH_PARAM_LENGTH) {
    throw new ValidationError('Invalid path parameter', [
      { path: `path.${name}`, message: `must be at most ${MAX_PATH_PARAM_LENGTH} characters` },
    ]);
  }
  return value;
}

export function zodIssues(error: z.ZodError, prefix?: string): FieldIssue[] {
  return error.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].filter(Boolean).join('.') || '(root)',
    message: i.message,
  }));
}

/** Validates query string parameters; problems answer 422 naming each parameter. */
export function parseQuery<S extends z.ZodType>(event: APIGatewayProxyEventV2, schema: S): z.infer<S> {
  const result = schema.safeParse(event.queryStringParameters ?? {});
  if (!result.success) throw new ValidationError('Invalid query parameters', zodIssues(result.error, 'query'));
  return result.data;
}

/** Parses a JSON body: 400 when it is not JSON, 422 with field errors when it breaks the schema. */
export function parseJsonBody<S extends z.ZodType>(event: APIGatewayProxyEventV2, schema: S): z.infer<S> {
  let value: unknown;
  try {
    value = JSON.parse(rawBody(event));
  } catch {
    throw new BadRequestError('Body is not valid JSON');
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError('Invalid request body', zodIssues(result.error, 'body'));
  return result.data;
}
