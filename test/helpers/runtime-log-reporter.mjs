/**
 * Keeps the local runtime's expected failures out of the test output, and in a file instead.
 *
 * The embedded stack (global-setup.ts) runs in the jest parent process. Its functions' own output
 * already goes to a log file (functionLog), but the runtime reports a failed invocation the way
 * Lambda does, with `[patron-local] <fn> ERROR Invoke Error (RequestId: ...)` and the stack trace
 * written straight to stderr (local/http.ts, local/sqs-poller.ts). `npm start` users want those;
 * in tests they come from tests that fail invocations on purpose (the poison mining message's
 * FullBatchFailureError, the fault test's timeouts) and read like errors to a newcomer.
 *
 * This reporter moves exactly those writes to .cache/test-logs/<main|fault|docs|browser>.log, appends the
 * functions' log of the run (before global-teardown.ts deletes it), and names the file after
 * jest's summary when a test failed. A passing run prints nothing about it.
 *
 * It must be listed after 'default': jest's DefaultReporter buffers stderr and writes it joined,
 * so only a wrapper installed after it sees each write of the runtime whole.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const INVOKE_ERROR = /^\[patron-local\] \S+ ERROR Invoke Error \(RequestId: /;

export default class RuntimeLogReporter {
  constructor(globalConfig) {
    // One file per kind of invocation (npm test makes three, one after the other: see jest.config.js).
    const name =
      process.env.PATRON_FAULT_TESTS === '1'
        ? 'fault'
        : process.env.PATRON_DOCS_TESTS === '1'
          ? 'docs'
          : process.env.PATRON_BROWSER_TESTS === '1'
            ? 'browser'
            : 'main';
    const dir = join(globalConfig.rootDir, '.cache', 'test-logs');
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, `${name}.log`);
    this.relativeFile = relative(process.cwd(), this.file);
    this.diverted = 0;
    writeFileSync(this.file, `# jest run of ${new Date().toISOString()}: the local runtime's invoke errors, then the functions' log\n`);

    const stderr = process.stderr;
    const write = stderr.write;
    stderr.write = (chunk, encoding, callback) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
      if (!INVOKE_ERROR.test(text)) return write.call(stderr, chunk, encoding, callback);
      appendFileSync(this.file, text);
      this.diverted++;
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') process.nextTick(done);
      return true;
    };
  }

  onRunComplete(_contexts, results) {
    // Set by global-setup.ts in this (the parent) process; global-teardown.ts deletes the file after this.
    const stackLog = process.env.PATRON_STACK_LOG;
    if (stackLog && existsSync(stackLog)) appendFileSync(this.file, `\n# functions' log (${stackLog})\n${readFileSync(stackLog, 'utf8')}`);
    const failed = results.numFailedTests > 0 || results.numFailedTestSuites > 0 || results.numRuntimeErrorTestSuites > 0;
    // Only runs with a stack have such logs (a unit-only run has none to point at).
    if (failed && (stackLog || this.diverted > 0)) {
      process.stderr.write(
        `\nThe local stack's log of this run (requests, functions' output at WARN and above, and ${this.diverted} invoke error(s) kept out of the output above): ${this.relativeFile}\n`,
      );
    }
  }
}
