/**
 * `patron send-webhook` against the embedded stack: every valid sample of events/<source>/ is
 * accepted (2xx: stored, a duplicate, or a type Patron ignores).
 *
 * It lives in the `docs` project, which has a stack of its own, because the samples carry fixed
 * identities and event ids (Ann, order 5873458724907, evt_...): sent into the shared integration
 * stack they would race test/integration/sources.test.ts, which expects them unseen.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ENV, SOURCES } from '@patron/core';
import { memoryIo } from '../../cli/io.js';
import { main } from '../../cli/patron.js';
import { sampleFiles, EVENTS_DIR } from '../helpers/samples.js';
import { stackInfo } from '../helpers/stack.js';

/** The stack's own secrets, passed the way a user would: through $WEBHOOK_SECRET_<SOURCE>. */
const secretsEnv = () => Object.fromEntries(SOURCES.map((s) => [ENV.webhookSecret[s], stackInfo().env[ENV.webhookSecret[s]]]));

describe('patron send-webhook to the embedded stack', () => {
  it.each(SOURCES)('%s: every valid sample in events/ is answered 2xx', async (source) => {
    const files = sampleFiles(source).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    const answers: { file: string; code: number; status: string }[] = [];
    for (const file of files) {
      const io = memoryIo();
      const code = await main(
        ['send-webhook', '--source', source, '--event', join(EVENTS_DIR, source, file), '--url', stackInfo().baseUrl],
        io,
        {
          env: secretsEnv(),
        },
      );
      answers.push({ file, code, status: io.out().split('\n')[0]! });
    }
    const failed = answers.filter((a) => a.code !== 0 || !/^2\d\d /.test(a.status));
    expect(failed).toEqual([]);
  });

  it('signs for a stack whose secret is not the dev default only when told which (a 401 is exit 1)', async () => {
    const io = memoryIo();
    const code = await main(
      [
        'send-webhook',
        '--source',
        'stripe',
        '--event',
        join(EVENTS_DIR, 'stripe/charge-succeeded.json'),
        '--url',
        stackInfo().baseUrl,
        '--secret',
        'whsec_wrong',
      ],
      io,
      { env: {} },
    );
    expect(code).toBe(1);
    expect(io.out()).toMatch(/^401 Unauthorized\n/);
  });

  it('works as the npx bin (cli/bin/patron.js), exit code and output included', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        'cli/bin/patron.js',
        'send-webhook',
        '--source',
        'zendesk',
        '--event',
        'events/zendesk/user-identity-created.json',
        '--url',
        stackInfo().baseUrl,
      ],
      { cwd: process.cwd(), env: { ...process.env, ...secretsEnv() } },
    );
    expect(stdout).toMatch(/^20[012] (Created|OK|Accepted)\n\{"status":/);
  });
});
