/**
 * The local EventBridge of local/deployed/event-bus.ts, called with the real SDK client; the SQS
 * side is a fake `deliver` that records what each target would receive.
 */
import { EventBridgeClient, ListRulesCommand, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import {
  compilePattern,
  type EventBus,
  type EventBusRule,
  type EventBusTarget,
  startEventBus,
  UnsupportedRuleError,
} from '../../../local/deployed/event-bus.js';
import { startAwsGateway } from '../../../local/deployed/aws-gateway.js';
import { readBusRules, type CfnTemplate } from '../../../local/deployed/template.js';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, silentLog } from '../../../local/util.js';

const BUS = 'patron-events-bus';

interface Delivery {
  target: string;
  body: string;
}

async function start(rules: EventBusRule[] = [], buses = [BUS]) {
  const deliveries: Delivery[] = [];
  const bus = await startEventBus({
    buses,
    rules,
    deliver: async (target: EventBusTarget, body: string) => {
      deliveries.push({ target: target.id, body });
    },
    region: LOCAL_REGION,
    account: LOCAL_ACCOUNT_ID,
    log: silentLog,
  });
  const client = new EventBridgeClient({
    endpoint: bus.url,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  return { bus, client, deliveries };
}

const entry = (over: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  EventBusName: BUS,
  Source: 'patron.outbound',
  DetailType: 'customer.updated',
  Detail: JSON.stringify({ customerId: 'c-1', tier: 'gold' }),
  ...over,
});

describe('local event bus: PutEvents', () => {
  let bus: EventBus;
  let client: EventBridgeClient;
  beforeAll(async () => {
    ({ bus, client } = await start());
  });
  afterAll(async () => {
    client.destroy();
    await bus.close();
  });
  beforeEach(() => {
    bus.events.length = 0;
  });

  it('accepts entries, returns their ids in order and records them', async () => {
    const time = new Date('2025-03-04T05:06:07.890Z');
    const out = await client.send(
      new PutEventsCommand({ Entries: [entry({ Time: time, Resources: ['arn:x'] }), entry({ DetailType: 'customer.created' })] }),
    );
    expect(out.FailedEntryCount).toBe(0);
    expect(out.Entries).toHaveLength(2);
    expect(out.Entries!.map((e) => e.EventId)).toEqual(bus.events.map((e) => e.id));
    expect(bus.events[0]).toEqual({
      busName: BUS,
      id: expect.any(String),
      source: 'patron.outbound',
      detailType: 'customer.updated',
      detail: { customerId: 'c-1', tier: 'gold' },
      time: '2025-03-04T05:06:07Z',
      resources: ['arn:x'],
    });
    expect(bus.events[1]!.detailType).toBe('customer.created');
    expect(bus.events[1]!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('accepts the bus ARN as EventBusName', async () => {
    const out = await client.send(
      new PutEventsCommand({ Entries: [entry({ EventBusName: `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:event-bus/${BUS}` })] }),
    );
    expect(out.FailedEntryCount).toBe(0);
    expect(bus.events[0]!.busName).toBe(BUS);
  });

  it('fails bad entries one by one and keeps the good ones', async () => {
    const out = await client.send(
      new PutEventsCommand({
        Entries: [
          entry(),
          entry({ Detail: undefined }),
          entry({ Source: undefined }),
          entry({ Detail: '{not json' }),
          entry({ Detail: '[1,2]' }),
          entry({ EventBusName: 'nope' }),
          entry({ EventBusName: undefined }),
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(6);
    const [ok, ...failed] = out.Entries!;
    expect(ok).toEqual({ EventId: expect.any(String) });
    expect(failed.map((e) => [e.ErrorCode, e.EventId])).toEqual([
      ['InvalidArgument', undefined],
      ['InvalidArgument', undefined],
      ['MalformedDetail', undefined],
      ['MalformedDetail', undefined],
      ['ResourceNotFoundException', undefined],
      // Omitted: the default bus, which is not the stack's.
      ['ResourceNotFoundException', undefined],
    ]);
    expect(failed[0]!.ErrorMessage).toMatch(/Detail/);
    expect(failed[1]!.ErrorMessage).toMatch(/Source/);
    expect(failed[4]!.ErrorMessage).toBe('Event bus nope does not exist.');
    expect(bus.events.map((e) => e.id)).toEqual([ok!.EventId]);
  });

  it('rejects a request of 0 or more than 10 entries, or over 256 KB, as a whole', async () => {
    await expect(client.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry()) }))).rejects.toMatchObject({
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(client.send(new PutEventsCommand({ Entries: [] }))).rejects.toMatchObject({ name: 'ValidationException' });
    const big = JSON.stringify({ blob: 'x'.repeat(130 * 1024) });
    await expect(client.send(new PutEventsCommand({ Entries: [entry({ Detail: big }), entry({ Detail: big })] }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/over the limit/),
    });
    // One of them alone fits.
    expect((await client.send(new PutEventsCommand({ Entries: [entry({ Detail: big })] }))).FailedEntryCount).toBe(0);
    expect(bus.events).toHaveLength(1);
  });

  it('answers other operations with UnknownOperationException', async () => {
    await expect(client.send(new ListRulesCommand({}))).rejects.toMatchObject({ name: 'UnknownOperationException' });
  });
});

describe('local event bus: routing to targets', () => {
  const rule = (name: string, pattern: unknown, targets: Partial<EventBusTarget>[] = [{}], busName = BUS): EventBusRule => ({
    name,
    busName,
    pattern,
    targets: targets.map((t, i) => ({ id: `${name}-${i}`, queueUrl: `http://q/${name}`, ...t })),
  });

  it('delivers the envelope to the targets of matching rules only', async () => {
    const { bus, client, deliveries } = await start(
      [
        rule('updates', { source: ['patron.outbound'], 'detail-type': ['customer.updated'] }),
        rule('gold', { detail: { tier: ['gold', 'platinum'] } }, [{}, { input: '{"fixed":true}' }, { inputPath: '$.detail' }]),
        rule('other', { source: ['someone.else'] }),
        rule('elsewhere', { source: ['patron.outbound'] }, [{}], 'second-bus'),
      ],
      [BUS, 'second-bus'],
    );
    try {
      await client.send(new PutEventsCommand({ Entries: [entry()] }));
      const [event] = bus.events;
      expect(deliveries.map((d) => d.target)).toEqual(['updates-0', 'gold-0', 'gold-1', 'gold-2']);
      expect(JSON.parse(deliveries[0]!.body)).toEqual({
        version: '0',
        id: event!.id,
        'detail-type': 'customer.updated',
        source: 'patron.outbound',
        account: LOCAL_ACCOUNT_ID,
        time: event!.time,
        region: LOCAL_REGION,
        resources: [],
        detail: { customerId: 'c-1', tier: 'gold' },
      });
      expect(deliveries[1]!.body).toBe(deliveries[0]!.body);
      expect(deliveries[2]!.body).toBe('{"fixed":true}');
      expect(JSON.parse(deliveries[3]!.body)).toEqual({ customerId: 'c-1', tier: 'gold' });

      deliveries.length = 0;
      await client.send(new PutEventsCommand({ Entries: [entry({ Detail: '{"tier":"silver"}' })] }));
      expect(deliveries.map((d) => d.target)).toEqual(['updates-0']);

      deliveries.length = 0;
      await client.send(new PutEventsCommand({ Entries: [entry({ EventBusName: 'second-bus' })] }));
      expect(deliveries.map((d) => d.target)).toEqual(['elsewhere-0']);
    } finally {
      client.destroy();
      await bus.close();
    }
  });

  it('refuses at startup what it does not emulate, naming the rule', async () => {
    await expect(start([rule('shaped', { source: ['a'] }, [{ inputTransformer: { InputTemplate: '"x"' } }])])).rejects.toThrow(
      /rule shaped target shaped-0: InputTransformer/,
    );
    await expect(start([rule('fancy', { detail: { n: [{ numeric: ['>', 1] }] } })])).rejects.toThrow(UnsupportedRuleError);
    await expect(start([rule('lost', { source: ['a'] }, [{}], 'missing-bus')])).rejects.toThrow(/rule lost is on bus missing-bus/);
  });
});

describe('event patterns', () => {
  const envelope = {
    version: '0',
    id: '1',
    'detail-type': 'customer.updated',
    source: 'patron.outbound',
    account: LOCAL_ACCOUNT_ID,
    region: LOCAL_REGION,
    time: '2025-01-01T00:00:00Z',
    resources: [],
    detail: { customerId: 'c-1', tier: 'gold', tags: ['vip', 'eu'], score: 3, active: true, address: { country: 'DE' } },
  };
  const matches = (pattern: unknown) => compilePattern(pattern, 'r')(envelope);

  it.each([
    [{ source: ['patron.outbound'] }, true],
    [{ source: ['x', 'patron.outbound'] }, true],
    [{ source: ['patron'] }, false],
    [{ source: [{ prefix: 'patron.' }] }, true],
    [{ source: [{ prefix: 'other.' }] }, false],
    [{ 'detail-type': ['customer.updated'], account: [LOCAL_ACCOUNT_ID], region: [LOCAL_REGION] }, true],
    [{ 'detail-type': ['customer.updated'], region: ['eu-west-1'] }, false],
    [{ detail: { tier: ['gold'] } }, true],
    [{ detail: { tier: ['silver'] } }, false],
    [{ detail: { score: [3], active: [true] } }, true],
    [{ detail: { score: ['3'] } }, false],
    [{ detail: { tags: ['eu'] } }, true],
    [{ detail: { tags: [{ prefix: 'v' }] } }, true],
    [{ detail: { address: { country: ['DE'] } } }, true],
    [{ detail: { address: { country: ['FR'] } } }, false],
    [{ detail: { missing: ['x'] } }, false],
    [{ detail: { missing: [null] } }, false],
    [{ detail: { tier: { nested: ['x'] } } }, false],
    [{ source: ['patron.outbound'], detail: { tier: ['silver'] } }, false],
  ])('%j -> %s', (pattern, expected) => {
    expect(matches(pattern)).toBe(expected);
  });

  it('reads a pattern given as JSON text', () => {
    expect(matches(JSON.stringify({ source: ['patron.outbound'] }))).toBe(true);
  });

  it.each([
    [{ source: [{ 'anything-but': ['x'] }] }, /anything-but/],
    [{ detail: { score: [{ numeric: ['>', 1] }] } }, /numeric/],
    [{ detail: { tier: [{ exists: true }] } }, /exists/],
    [{ detail: { tier: [{ prefix: 'g', suffix: 'd' }] } }, /not emulated/],
    [{ id: ['1'] }, /matching on id/],
    [{ resources: ['arn:x'] }, /matching on resources/],
    [{ source: 'patron.outbound' }, /leaves must be arrays/],
    [{ source: { prefix: 'p' } }, /leaves must be arrays/],
    [{ source: [] }, /empty array/],
    [{}, /non-empty/],
  ])('refuses %j', (pattern, message) => {
    expect(() => compilePattern(pattern, 'my-rule')).toThrow(UnsupportedRuleError);
    expect(() => compilePattern(pattern, 'my-rule')).toThrow(message);
    expect(() => compilePattern(pattern, 'my-rule')).toThrow(/my-rule/);
  });
});

describe('reading bus rules from a template', () => {
  const template: CfnTemplate = {
    Resources: {
      Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'PatronBus' } },
      Queue: { Type: 'AWS::SQS::Queue' },
      OnBus: {
        Type: 'AWS::Events::Rule',
        Properties: {
          EventBusName: { Ref: 'Bus' },
          EventPattern: { source: ['patron.outbound'] },
          Targets: [
            { Id: 'Target0', Arn: { 'Fn::GetAtt': ['Queue', 'Arn'] } },
            { Id: 'Target1', Arn: { 'Fn::GetAtt': ['Queue', 'Arn'] }, Input: '{"a":1}' },
          ],
        },
      },
      Disabled: {
        Type: 'AWS::Events::Rule',
        Properties: { EventBusName: { Ref: 'Bus' }, State: 'DISABLED', EventPattern: { source: ['x'] }, Targets: [] },
      },
      Schedule: {
        Type: 'AWS::Events::Rule',
        Properties: { ScheduleExpression: 'rate(1 day)', Targets: [{ Id: 'T', Arn: { 'Fn::GetAtt': ['Queue', 'Arn'] } }] },
      },
      DefaultBus: {
        Type: 'AWS::Events::Rule',
        Properties: { EventPattern: { source: ['aws.s3'] }, Targets: [{ Id: 'T', Arn: { 'Fn::GetAtt': ['Queue', 'Arn'] } }] },
      },
    },
  };

  it('reads only enabled pattern rules on the template’s own buses', () => {
    expect(readBusRules(template)).toEqual([
      {
        logicalId: 'OnBus',
        busLogicalId: 'Bus',
        eventPattern: { source: ['patron.outbound'] },
        targets: [
          { id: 'Target0', targetLogicalId: 'Queue' },
          { id: 'Target1', targetLogicalId: 'Queue', input: '{"a":1}' },
        ],
      },
    ]);
  });
});

describe('local event bus behind the AWS gateway', () => {
  it('signs as `events`, is checked against the caller’s statements and forwarded', async () => {
    const { bus } = await start();
    const busArn = `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:event-bus/${BUS}`;
    const gateway = await startAwsGateway({
      upstream: { events: bus.url },
      identities: new Map([
        [
          'LOCALOUTBOUND',
          {
            functionName: 'outbound',
            roleName: 'outbound-role',
            statements: [{ effect: 'Allow', actions: ['events:PutEvents'], resources: [busArn], conditional: false }],
          },
        ],
      ]),
      arn: { region: LOCAL_REGION, account: LOCAL_ACCOUNT_ID },
      log: silentLog,
    });
    const client = new EventBridgeClient({
      endpoint: gateway.url,
      region: LOCAL_REGION,
      credentials: { accessKeyId: 'LOCALOUTBOUND', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    try {
      expect((await client.send(new PutEventsCommand({ Entries: [entry()] }))).FailedEntryCount).toBe(0);
      expect(bus.events).toHaveLength(1);
      await expect(client.send(new PutEventsCommand({ Entries: [entry({ EventBusName: 'other' })] }))).rejects.toMatchObject({
        name: 'AccessDeniedException',
        message: expect.stringContaining('events:PutEvents on resource: arn:aws:events:us-east-1:000000000000:event-bus/other'),
      });
      expect(gateway.denials).toEqual([
        {
          functionName: 'outbound',
          action: 'events:PutEvents',
          resource: `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:event-bus/other`,
        },
      ]);
      expect(bus.events).toHaveLength(1);
    } finally {
      client.destroy();
      await gateway.close();
      await bus.close();
    }
  });
});
