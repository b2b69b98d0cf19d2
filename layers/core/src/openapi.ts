/**
 * The OpenAPI 3.1 document, generated from the route table (http/routes.ts) and the zod schemas
 * the handlers validate with: nothing here restates a route.
 */
import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import { ErrorBody } from './customers/api-schemas.js';
import { MAX_PATH_PARAM_LENGTH } from './http/request.js';
import { ROUTES, TAGS, WEBHOOK_SIGNATURE_SCHEMES, type ResponseSpec, type RouteSpec } from './http/routes.js';

/** Where the API is: locally from `npm start`, in AWS at the stack's ApiUrl output. */
const SERVERS = [
  { url: 'http://127.0.0.1:3000', description: 'npm start (local; PORT sets the port)' },
  {
    url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
    description: 'Deployed: the ApiUrl output of the Patron stack (aws cloudformation describe-stacks --stack-name Patron)',
    variables: { apiId: { default: 'your-api-id' }, region: { default: 'us-east-1' } },
  },
];

const CREDENTIAL_ERROR: ResponseSpec = {
  description:
    'Missing or invalid credential: an API key (x-api-key), or an access token (Authorization: Bearer) that is expired, ' +
    "not from this API's user pool or app client, or sent where sign-in is not configured",
  schema: ErrorBody,
};

const AUTH_ERRORS: Record<RouteSpec['auth'], ResponseSpec | undefined> = {
  'api-key': CREDENTIAL_ERROR,
  credential: CREDENTIAL_ERROR,
  'webhook-signature': { description: 'Missing or invalid signature, or timestamp outside tolerance', schema: ErrorBody },
  none: undefined,
};

/** API Gateway answers this itself, for every route, above the stage's rate (infra/constructs/api.ts). */
const THROTTLED: ResponseSpec = {
  description: 'Throttled by the API stage (API Gateway answers); retry with backoff',
  schema: z.object({ message: z.string().meta({ example: 'Too Many Requests' }) }).meta({ id: 'Throttled' }),
};

const SECURITY: Record<RouteSpec['auth'], Record<string, string[]>[]> = {
  // Either one: an API key, or a signed-in user's access token.
  'api-key': [{ apiKey: [] }, { signIn: [] }],
  credential: [{ apiKey: [] }, { signIn: [] }],
  // Any one of the sources' schemes: the path's {source} decides which one is checked.
  'webhook-signature': Object.keys(WEBHOOK_SIGNATURE_SCHEMES).map((name) => ({ [name]: [] })),
  none: [],
};

function response({ description, schema, headers, mediaType }: ResponseSpec) {
  return {
    description,
    ...(headers ? { headers } : {}),
    ...(schema ? { content: { [mediaType ?? 'application/json']: { schema } } } : {}),
  };
}

function operation(route: RouteSpec): ZodOpenApiOperationObject {
  const responses: Record<string, ReturnType<typeof response>> = {};
  const auth = AUTH_ERRORS[route.auth];
  const all: Record<number, ResponseSpec> = {
    ...route.responses,
    429: THROTTLED,
    500: { description: 'Unexpected error (nothing internal in the body)', schema: ErrorBody },
  };
  if (auth) all[401] = auth;
  if (route.params?.path) {
    const tooLong = `a path parameter longer than ${MAX_PATH_PARAM_LENGTH} characters`;
    all[422] = all[422]
      ? { ...all[422], description: `${all[422].description}; or ${tooLong}` }
      : { description: `Invalid: ${tooLong}`, schema: ErrorBody };
  }
  if (route.auth === 'api-key')
    all[403] = {
      description: `Valid API key or user without the scope this route needs (${route.scope ?? 'admin'})`,
      schema: ErrorBody,
    };
  for (const status of Object.keys(all)
    .map(Number)
    .sort((a, b) => a - b))
    responses[String(status)] = response(all[status]!);
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description || route.scope
      ? {
          description: [
            route.description,
            route.scope
              ? `Scope (of the API key, or a group of the user): \`${route.scope}\`${route.scope === 'admin' ? '' : ' (or `admin`)'}.`
              : undefined,
          ]
            .filter(Boolean)
            .join(' '),
        }
      : {}),
    tags: [route.tag],
    ...(route.final ? { 'x-patron-final': true } : {}),
    security: SECURITY[route.auth],
    ...(route.params ? { requestParams: route.params } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: route.body.required,
            content: {
              'application/json': {
                schema: route.body.schema,
                ...(route.body.example !== undefined ? { example: route.body.example } : {}),
              },
            },
          },
        }
      : {}),
    responses,
  };
}

let cached: ReturnType<typeof createDocument> | undefined;

export function openApiDocument(): ReturnType<typeof createDocument> {
  if (cached) return cached;
  const paths: ZodOpenApiPathsObject = {};
  for (const route of ROUTES as readonly RouteSpec[]) {
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation(route) };
  }
  cached = createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Patron API',
      version: '0.1.0',
      description:
        'Touchpoint ingestion from provider webhooks, the customer 360, mining results (segments, churn-risk, up-sell and cross-sell flags), and the offer registry that checks offers and actions for mistakes before they reach a customer.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: SERVERS,
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    components: {
      securitySchemes: {
        apiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'x-api-key',
          description:
            'One of API_KEYS; each route names the scope it needs (read, offers:write, mining:run, customers:erase; admin holds all)',
        },
        signIn: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            "Access token of a user signed in through the stack's Cognito user pool (hosted UI, authorization code + PKCE). " +
            'Their Cognito groups named like a scope grant it (read, offers:write, mining:run, customers:erase, admin). ' +
            'Sent with x-api-key, the API key is used. Not available on the local stack.',
        },
        ...Object.fromEntries(
          Object.entries(WEBHOOK_SIGNATURE_SCHEMES).map(([name, s]) => [
            name,
            { type: 'apiKey' as const, in: 'header' as const, name: s.header, description: s.description },
          ]),
        ),
      },
    },
    paths,
  });
  return cached;
}
