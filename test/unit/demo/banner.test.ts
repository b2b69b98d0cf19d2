/** The `npm start` banner suggests a customer lookup only when the demo will create that customer. */
import { README_PEOPLE } from '../../../local/demo/population.js';
import type { Stack } from '../../../local/stack.js';
import { DEMO_EXAMPLE_EMAIL, banner, parseStartArgs } from '../../../local/start.js';

const stack = {
  baseUrl: 'http://localhost:3000',
  overriddenSecrets: [],
  apiKey: 'patron-dev-key',
  timings: { total: 1234 },
  dynamodbEndpoint: 'http://localhost:8000',
  sqsEndpoint: 'http://localhost:9324',
  resources: { tableName: 'patron', miningQueueUrl: 'http://sqs/queue/mining', artifactBucket: 'artifacts' },
  env: { POWERTOOLS_LOG_LEVEL: 'WARN' },
} as unknown as Stack;

describe('the npm start banner', () => {
  it('suggests a customer the demo always creates', () => {
    expect(README_PEOPLE.map((p) => p.email)).toContain(DEMO_EXAMPLE_EMAIL);
  });

  it('suggests looking up that customer when the demo runs', () => {
    const text = banner(stack, parseStartArgs([]), true);
    expect(text).toContain(`curl -H "x-api-key: patron-dev-key" "http://localhost:3000/customers?email=${DEMO_EXAMPLE_EMAIL}"`);
    expect(text).toContain('curl http://localhost:3000/health');
    expect(text).toMatch(/Console +http:\/\/localhost:3000\/console /);
  });

  it('with --no-demo, suggests /health only and says the base is empty', () => {
    const text = banner(stack, parseStartArgs(['--no-demo']));
    expect(text).not.toContain('@example.com');
    expect(text).toContain('curl http://localhost:3000/health');
    expect(text).toMatch(/customer base is empty \(--no-demo\)/);
  });

  it('without local/demo/, says there is no demo', () => {
    const text = banner(stack, parseStartArgs([]), false);
    expect(text).not.toContain('@example.com');
    expect(text).toMatch(/no demo in this checkout/);
  });
});
