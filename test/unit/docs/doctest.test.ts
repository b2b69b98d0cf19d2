/** The doc-test harness itself (test/helpers/doctest.ts): extraction, skips, substitution, running. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blockTitle, extractShellBlocks, failureMessage, inSession, promisesOf, runShell, substitute } from '../../helpers/doctest.js';

const MD = [
  '# Title', //                                   1
  '', //                                          2
  '```bash', //                                   3
  'echo one', //                                  4
  '```', //                                       5
  '', //                                          6
  '<!-- doctest: skip needs AWS credentials -->', // 7
  '', //                                          8
  '```sh', //                                     9
  'aws s3 ls', //                                 10
  '```', //                                       11
  '```json', //                                   12
  '{"a": 1}', //                                  13
  '```', //                                       14
  '````markdown', //                              15
  '```bash', //                                   16
  'echo not a block of this file', //             17
  '```', //                                       18
  '````', //                                      19
  '<!-- doctest: skip -->', //                    20
  '~~~bash', //                                   21
  'echo tilde', //                                22
  '~~~', //                                       23
  '```', //                                       24
  'plain fence', //                               25
  '```', //                                       26
].join('\n');

describe('extractShellBlocks', () => {
  const blocks = extractShellBlocks(MD);

  it('finds the bash and sh fences with the line of their opening fence, and nothing inside other fences', () => {
    expect(blocks.map((b) => [b.line, b.lang, b.code])).toEqual([
      [3, 'bash', 'echo one'],
      [9, 'sh', 'aws s3 ls'],
      [21, 'bash', 'echo tilde'],
    ]);
  });

  it('reads the skip mark on the nearest non-blank line above the fence, reason included', () => {
    expect(blocks.map((b) => b.skip)).toEqual([undefined, 'needs AWS credentials', '(no reason given)']);
  });

  it('takes an unclosed fence to the end of the file', () => {
    expect(extractShellBlocks('```bash\necho a\necho b')).toEqual([{ line: 1, lang: 'bash', code: 'echo a\necho b', skip: undefined }]);
  });
});

describe('substitute and blockTitle', () => {
  it('replaces every occurrence as plain text, longest key first', () => {
    const text = 'curl http://localhost:3000/a http://localhost:3000/b?x=1 key patron-dev-key';
    expect(
      substitute(text, { 'http://localhost:3000': 'http://127.0.0.1:4567', 'http://localhost:3000/b?x=1': 'B', 'patron-dev-key': 'k$&' }),
    ).toBe('curl http://127.0.0.1:4567/a B key k$&');
  });

  it('names a block by its first command, past comments and variable assignments', () => {
    expect(blockTitle('# a comment\nURL=http://x\nSIG=$(openssl ...)\ncurl "$URL"\n')).toBe('curl "$URL"');
    expect(blockTitle('X=1\n')).toBe('X=1');
    expect(blockTitle('')).toBe('(empty)');
  });
});

describe('runShell', () => {
  const opts = { cwd: process.cwd() };

  it('passes a block whose commands all succeed, with its output', async () => {
    expect(await runShell('echo out; echo err >&2', opts)).toMatchObject({ code: 0, output: expect.stringContaining('out') });
  });

  it('fails on the first failing command, also inside a pipe, and does not run the rest', async () => {
    const r = await runShell('echo before\nfalse | cat\necho after', opts);
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('before');
    expect(r.output).not.toContain('after');
  });

  it('kills a block that runs past its timeout', async () => {
    const r = await runShell('sleep 30', { ...opts, timeoutMs: 200 });
    expect(r.timedOut).toBe(true);
    expect(r.code).not.toBe(0);
  });

  it('reports a failure with the file, the line and the output', async () => {
    const block = { line: 42, lang: 'bash', code: 'echo oops; exit 3' };
    const result = await runShell(block.code, opts);
    const message = failureMessage('docs/x.md', block, block.code, result);
    expect(message).toMatch(/^docs\/x\.md:42: the ```bash block exited 3\n/);
    expect(message).toContain('--- output ---\noops');
  });
});

describe('inSession', () => {
  it('carries the variables one block sets into the next, as one terminal would, and keeps them apart per state file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'doctest-session-'));
    const state = join(dir, "it's state.sh");
    const run = (code: string, file = state) => runShell(inSession(code, file), { cwd: dir });
    expect((await run('ID=abc; N=3; LIST=(x "y z")\nshout() { echo "$1!"; }')).code).toBe(0);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash parameter expansion, not a template
    expect((await run('echo "$ID $N ${LIST[1]}"; ID=def; shout hi')).output).toBe('abc 3 y z\nhi!\n');
    expect((await run('echo "$ID"')).output).toBe('def\n');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash parameter expansion, not a template
    expect((await run('echo "[${ID:-}]"', join(dir, 'other.sh'))).output).toBe('[]\n');
    // A failing block leaves the state as it was.
    expect((await run('ID=ghi; false')).code).not.toBe(0);
    expect((await run('echo "$ID"')).output).toBe('def\n');
  });
});

describe('documented output', () => {
  it('reads the fence right after a block as its documented output, and what it promises', () => {
    const md = [
      '```bash',
      'curl -i x',
      '```',
      '',
      '```',
      'HTTP/1.1 409 Conflict',
      '{"decision":"block","findings":[{"rule":"holdout"}]}',
      '```',
      '',
      'text',
      '```bash',
      'true',
      '```',
      'prose',
      '```json',
      '{}',
      '```',
    ].join('\n');
    const [first, second] = extractShellBlocks(md);
    expect(first!.documented).toContain('HTTP/1.1 409');
    expect(promisesOf(first!.documented)).toEqual(['HTTP/1.1 409', '"decision":"block"', '"rule":"holdout"']);
    // Prose between the block and a fence: that fence documents nothing about the block.
    expect(second!.documented).toBeUndefined();
    expect(promisesOf(undefined)).toEqual([]);
  });
});
