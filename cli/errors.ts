/**
 * Errors the CLI turns into exit codes (see patron.ts):
 *  - UsageError  → exit 2, message + the command's synopsis on stderr (bad flags, bad subcommand);
 *  - InputError  → exit 1, one line `FILE:LINE: message` (malformed input files);
 *  - CliError    → exit 1, one line (anything else the user can fix: unreadable file, model fit failure).
 * Any other exception is a bug: exit 1 with its message (stack only with --debug).
 */

export class CliError extends Error {
  readonly exitCode: number = 1;
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

export class UsageError extends CliError {
  override readonly exitCode: number = 2;
  constructor(
    message: string,
    /** Usage text of the (sub)command, printed after the message. */
    readonly usage: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A problem in an input file, pinned to a line (1-based; 0 = the file as a whole). */
export class InputError extends CliError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly detail: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${detail}` : `${file}: ${detail}`);
    this.name = 'InputError';
  }
}

/** Raised by line parsers that do not know the file name; readers rethrow as InputError. */
export class LineError extends Error {
  constructor(
    readonly line: number,
    readonly detail: string,
  ) {
    super(`line ${line}: ${detail}`);
    this.name = 'LineError';
  }
}
