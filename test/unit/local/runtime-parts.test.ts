import { createHash } from 'node:crypto';
import { parseConfig } from '@patron/core';
import type { FunctionDefinition } from '../../../infra/definitions.js';
import { DEV_SECRETS, firstApiKey, resolveDevSecrets } from '../../../local/dev-config.js';
import { createLambdaContext, invokeWithTimeout, LambdaTimeoutError } from '../../../local/lambda.js';
import { parseStartArgs, UsageError } from '../../../local/start.js';

const sha = (k: string) => createHash('sha256').update(k).digest('hex');

describe('dev config', () => {
  it('passes the config schema the functions use', () => {
    const config = parseConfig(resolveDevSecrets({}).values);
    expect(config.apiKeys.map((k) => [k.name, k.digest, k.scopes])).toEqual([
      ['key-1', sha('patron-dev-key'), ['admin']],
      ['dev-reader', sha('patron-dev-read-key'), ['read']],
    ]);
    expect(config.webhookSecrets.generic[0]).toMatch(/^whsec_/);
    expect(Buffer.from(config.webhookSecrets.generic[0]!.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);
  });

  it('lets values already in the environment win', () => {
    const { values, overridden } = resolveDevSecrets({ API_KEYS: 'mine', WEBHOOK_SECRET_STRIPE: '' });
    expect(values.API_KEYS).toBe('mine');
    expect(values.WEBHOOK_SECRET_STRIPE).toBe(DEV_SECRETS.WEBHOOK_SECRET_STRIPE);
    expect(overridden).toEqual(['API_KEYS']);
  });

  it('picks the first plain API key', () => {
    expect(firstApiKey(`sha256:${sha('x')}, second ,third`)).toBe('second');
  });
});

describe('Lambda context and timeout', () => {
  const fn: Pick<FunctionDefinition, 'name' | 'timeoutSeconds' | 'memoryMb'> = { name: 'customers', timeoutSeconds: 10, memoryMb: 512 };

  it('looks like the Node.js runtime context', () => {
    let now = 1_000_000;
    const context = createLambdaContext(fn, { awsRequestId: 'req-1', startedAt: now, now: () => now });
    expect(context).toMatchObject({
      functionName: 'patron-local-customers',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:patron-local-customers',
      memoryLimitInMB: '512',
      awsRequestId: 'req-1',
      logGroupName: '/aws/lambda/patron-local-customers',
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(context.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(context.getRemainingTimeInMillis()).toBe(10_000);
    now += 9_500;
    expect(context.getRemainingTimeInMillis()).toBe(500);
    now += 5_000;
    expect(context.getRemainingTimeInMillis()).toBe(0);
  });

  it('fails an invocation that outlives the function timeout', async () => {
    const context = createLambdaContext({ name: 'slow', timeoutSeconds: 0.05 });
    await expect(invokeWithTimeout(() => new Promise((r) => setTimeout(r, 500)), {}, context, 0.05)).rejects.toBeInstanceOf(
      LambdaTimeoutError,
    );
    await expect(invokeWithTimeout(async () => 'fine', {}, context, 1)).resolves.toBe('fine');
  });
});

describe('npm start arguments', () => {
  it('parses the supported flags', () => {
    expect(parseStartArgs([])).toEqual({ demo: true, persistDir: undefined, port: undefined, schedule: false, help: false });
    expect(parseStartArgs(['--schedule']).schedule).toBe(true);
    expect(parseStartArgs(['--no-demo', '--persist', '.patron-data', '--port', '0'])).toEqual({
      demo: false,
      persistDir: '.patron-data',
      port: 0,
      schedule: false,
      help: false,
    });
  });

  it('rejects unknown flags and bad ports with a UsageError', () => {
    expect(() => parseStartArgs(['--demo-off'])).toThrow(UsageError);
    expect(() => parseStartArgs(['--port', 'eighty'])).toThrow(/--port/);
    expect(() => parseStartArgs(['--port', '70000'])).toThrow(UsageError);
    expect(() => parseStartArgs(['extra'])).toThrow(UsageError);
  });
});
