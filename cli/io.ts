/** Where a command writes: real process streams in patron.ts, buffers in tests. */
export interface Io {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  stderrIsTTY: boolean;
}

export function processIo(): Io {
  // A reader that stops early (`patron clv ... | head`) closes the pipe: that ends the command
  // quietly, as it does for other Unix tools, instead of an EPIPE stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  return { stdout: process.stdout, stderr: process.stderr, stderrIsTTY: process.stderr.isTTY === true };
}

/** Captures output, for tests. */
export function memoryIo(): Io & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    stderrIsTTY: false,
    out: () => out,
    err: () => err,
  };
}
