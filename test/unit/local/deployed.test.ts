/**
 * The template reader and the local IAM check of local/deployed/, on small hand-written templates
 * and requests shaped like the SDK's.
 */
import fc from 'fast-check';
import {
  credentialScope,
  evaluate,
  requiredAuthorizations,
  UnmappedRequestError,
  type ResolvedStatement,
} from '../../../local/deployed/iam.js';
import { localName } from '../../../local/deployed/runtime.js';
import { rateMs, readFunctions, readSchedules, resolveValue, TemplateError, type CfnTemplate } from '../../../local/deployed/template.js';

const arn = { region: 'us-east-1', account: '000000000000' };
const TABLE_ARN = 'arn:aws:dynamodb:us-east-1:000000000000:table/t';
const allow = (actions: string[], resources: string[]): ResolvedStatement => ({ effect: 'Allow', actions, resources, conditional: false });

const ddb = (operation: string, body: unknown) => ({
  service: 'dynamodb',
  method: 'POST',
  url: '/',
  headers: { 'x-amz-target': `DynamoDB_20120810.${operation}` },
  body: Buffer.from(JSON.stringify(body)),
});

describe('IAM evaluation', () => {
  it('allows an action and resource matched by wildcards, actions case-insensitively', () => {
    const statements = [allow(['s3:GetObject*'], ['arn:aws:s3:::b/*'])];
    expect(evaluate(statements, [{ action: 's3:getobject', resource: 'arn:aws:s3:::b/runs/1.json' }]).allowed).toBe(true);
    expect(evaluate(statements, [{ action: 's3:PutObject', resource: 'arn:aws:s3:::b/runs/1.json' }]).denied?.reason).toBe('no-allow');
    expect(evaluate(statements, [{ action: 's3:GetObject', resource: 'arn:aws:s3:::other/x' }]).allowed).toBe(false);
  });

  it('lets an explicit Deny win over any Allow', () => {
    const statements = [allow(['dynamodb:*'], ['*']), { ...allow(['dynamodb:DeleteItem'], [TABLE_ARN]), effect: 'Deny' as const }];
    const decision = evaluate(statements, [{ action: 'dynamodb:DeleteItem', resource: TABLE_ARN }]);
    expect(decision).toEqual({ allowed: false, denied: { action: 'dynamodb:DeleteItem', resource: TABLE_ARN, reason: 'explicit-deny' } });
  });

  it('never lets a conditional Allow match, since conditions are not evaluated locally', () => {
    const statements = [{ ...allow(['dynamodb:GetItem'], [TABLE_ARN]), conditional: true }];
    expect(evaluate(statements, [{ action: 'dynamodb:GetItem', resource: TABLE_ARN }]).allowed).toBe(false);
  });

  it('treats resource patterns literally apart from * and ?', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (name) => {
        const resource = `arn:aws:s3:::b/${name}`;
        expect(evaluate([allow(['s3:GetObject'], [resource])], [{ action: 's3:GetObject', resource }]).allowed).toBe(true);
        if (!/[*?]/.test(name)) {
          expect(evaluate([allow(['s3:GetObject'], [resource])], [{ action: 's3:GetObject', resource: `${resource}x` }]).allowed).toBe(
            false,
          );
        }
      }),
    );
  });
});

describe('what a request needs', () => {
  it('authorizes each TransactWriteItems item by its own action', () => {
    const needed = requiredAuthorizations(
      ddb('TransactWriteItems', {
        TransactItems: [{ Put: { TableName: 't' } }, { Update: { TableName: 't' } }, { ConditionCheck: { TableName: 't' } }],
      }),
      arn,
    );
    expect(needed.map((n) => n.action)).toEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem']);
    expect(new Set(needed.map((n) => n.resource))).toEqual(new Set([TABLE_ARN]));
  });

  it('names the index of a Query as its resource', () => {
    expect(requiredAuthorizations(ddb('Query', { TableName: 't', IndexName: 'gsi1' }), arn)).toEqual([
      { action: 'dynamodb:Query', resource: `${TABLE_ARN}/index/gsi1` },
    ]);
  });

  it('maps SQS batch actions to their single form and the queue URL to its ARN', () => {
    const req = {
      service: 'sqs',
      method: 'POST',
      url: '/',
      headers: { 'x-amz-target': 'AmazonSQS.SendMessageBatch' },
      body: Buffer.from(JSON.stringify({ QueueUrl: 'http://127.0.0.1:1234/000000000000/patron-mining-queue' })),
    };
    expect(requiredAuthorizations(req, arn)).toEqual([
      { action: 'sqs:SendMessage', resource: 'arn:aws:sqs:us-east-1:000000000000:patron-mining-queue' },
    ]);
  });

  it('maps path-style S3 object and bucket calls', () => {
    const s3 = (method: string, url: string) =>
      requiredAuthorizations({ service: 's3', method, url, headers: {}, body: Buffer.alloc(0) }, arn);
    expect(s3('PUT', '/b/runs/01/model.json?x-id=PutObject')).toEqual([
      { action: 's3:PutObject', resource: 'arn:aws:s3:::b/runs/01/model.json' },
    ]);
    expect(s3('GET', '/b/runs/01/model.json')).toEqual([{ action: 's3:GetObject', resource: 'arn:aws:s3:::b/runs/01/model.json' }]);
    expect(s3('GET', '/b?list-type=2&prefix=runs')).toEqual([{ action: 's3:ListBucket', resource: 'arn:aws:s3:::b' }]);
  });

  it('refuses services it does not map', () => {
    expect(() =>
      requiredAuthorizations({ service: 'secretsmanager', method: 'POST', url: '/', headers: {}, body: Buffer.alloc(0) }, arn),
    ).toThrow(UnmappedRequestError);
  });

  it('maps EventBridge PutEvents to each distinct bus its entries name', () => {
    const events = (operation: string, body: unknown) =>
      requiredAuthorizations(
        {
          service: 'events',
          method: 'POST',
          url: '/',
          headers: { 'x-amz-target': `AWSEvents.${operation}` },
          body: Buffer.from(JSON.stringify(body)),
        },
        arn,
      );
    const bus = (name: string) => `arn:aws:events:us-east-1:000000000000:event-bus/${name}`;
    expect(
      events('PutEvents', {
        Entries: [{ EventBusName: 'patron-bus' }, { EventBusName: 'patron-bus' }, { EventBusName: bus('other') }, {}],
      }),
    ).toEqual([
      { action: 'events:PutEvents', resource: bus('patron-bus') },
      { action: 'events:PutEvents', resource: bus('other') },
      { action: 'events:PutEvents', resource: bus('default') },
    ]);
    const statements = [allow(['events:PutEvents'], [bus('patron-bus')])];
    expect(evaluate(statements, events('PutEvents', { Entries: [{ EventBusName: 'patron-bus' }] })).allowed).toBe(true);
    expect(evaluate(statements, events('PutEvents', { Entries: [{ EventBusName: 'patron-bus' }, {}] }))).toMatchObject({
      allowed: false,
      denied: { action: 'events:PutEvents', resource: bus('default'), reason: 'no-allow' },
    });
    expect(() => events('PutRule', { Name: 'r' })).toThrow(UnmappedRequestError);
  });

  it('reads the access key and service from a SigV4 Authorization header', () => {
    const authorization =
      'AWS4-HMAC-SHA256 Credential=LOCALWEBHOOK/20261130/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=abc';
    expect(credentialScope({ authorization }, '/')).toEqual({ accessKeyId: 'LOCALWEBHOOK', service: 'dynamodb' });
    expect(credentialScope({}, '/')).toBeUndefined();
  });
});

const template: CfnTemplate = {
  Resources: {
    Table: { Type: 'AWS::DynamoDB::Table', Metadata: { 'aws:cdk:path': 'Patron/Data/Table/Resource' } },
    Layer: { Type: 'AWS::Lambda::LayerVersion', Metadata: { 'aws:asset:path': 'asset.layer' } },
    Role: { Type: 'AWS::IAM::Role' },
    Policy: {
      Type: 'AWS::IAM::Policy',
      Properties: {
        Roles: [{ Ref: 'Role' }],
        PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: { 'Fn::GetAtt': ['Table', 'Arn'] } }] },
      },
    },
    Fn: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Handler: 'index.handler',
        Runtime: 'nodejs24.x',
        MemorySize: 512,
        Timeout: 10,
        Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
        Layers: [{ Ref: 'Layer' }],
        Environment: { Variables: { TABLE_NAME: { Ref: 'Table' }, PLAIN: 'x' } },
      },
      Metadata: { 'aws:cdk:path': 'Patron/Functions/reader/Handler/Resource', 'aws:asset:path': 'asset.fn' },
    },
    Integration: { Type: 'AWS::ApiGatewayV2::Integration', Properties: { IntegrationUri: { 'Fn::GetAtt': ['Fn', 'Arn'] } } },
    Route: {
      Type: 'AWS::ApiGatewayV2::Route',
      Properties: { RouteKey: 'GET /things/{id}', Target: { 'Fn::Join': ['', ['integrations/', { Ref: 'Integration' }]] } },
    },
    Queue: { Type: 'AWS::SQS::Queue' },
    Mapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        FunctionName: { Ref: 'Fn' },
        EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] },
        BatchSize: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      },
    },
    Rule: {
      Type: 'AWS::Events::Rule',
      Properties: { ScheduleExpression: 'rate(1 day)', Targets: [{ Arn: { 'Fn::GetAtt': ['Queue', 'Arn'] }, Input: '{"kind":"start"}' }] },
    },
  },
};

describe('reading a template', () => {
  it('collects a function with its code, layers, policy, routes, queue trigger and raw environment', () => {
    const [fn] = readFunctions(template);
    expect(fn).toMatchObject({
      name: 'reader',
      assetPath: 'asset.fn',
      layerAssetPaths: ['asset.layer'],
      memoryMb: 512,
      timeoutSeconds: 10,
      routes: [{ method: 'GET', path: '/things/{id}' }],
      queueTriggers: [{ queueLogicalId: 'Queue', batchSize: 1, reportBatchItemFailures: true }],
      environment: { TABLE_NAME: { Ref: 'Table' }, PLAIN: 'x' },
    });
    expect(fn?.statements).toEqual([{ Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: [{ 'Fn::GetAtt': ['Table', 'Arn'] }] }]);
  });

  it('reads scheduled rules with their input and rate', () => {
    expect(readSchedules(template)).toEqual([
      { logicalId: 'Rule', expression: 'rate(1 day)', targets: [{ targetLogicalId: 'Queue', input: '{"kind":"start"}' }] },
    ]);
    expect(rateMs('rate(15 minutes)')).toBe(900_000);
    expect(rateMs('cron(0 3 * * ? *)')).toBeUndefined();
  });

  it('resolves references and joins, and names what it cannot resolve', () => {
    const refs = new Map([['Table', { ref: 'patron-data-table', attributes: { Arn: TABLE_ARN } }]]);
    const pseudo = { 'AWS::Region': 'us-east-1' };
    expect(resolveValue({ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Table', 'Arn'] }, '/index/*']] }, refs, pseudo)).toBe(`${TABLE_ARN}/index/*`);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub placeholders, on purpose.
    const sub = 'x-${AWS::Region}-${Table}';
    expect(resolveValue({ 'Fn::Sub': sub }, refs, pseudo)).toBe('x-us-east-1-patron-data-table');
    expect(() => resolveValue({ Ref: 'Missing' }, refs, pseudo)).toThrow(TemplateError);
    expect(() => resolveValue({ 'Fn::ImportValue': 'x' }, refs, pseudo)).toThrow(/not emulated/);
  });

  it('derives stable local names from construct paths', () => {
    expect(localName('Patron/Data/Table/Resource')).toBe('patron-data-table');
    expect(localName('Patron/Mining/DeadLetterQueue/Resource')).toBe('patron-mining-deadletterqueue');
  });
});
