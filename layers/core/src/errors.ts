/**
 * Typed domain errors. Core code throws these; one middleware (errorsToHttp in http/handler.ts)
 * maps them to status codes, so no handler ever builds an error response by hand.
 */
export interface FieldIssue {
  path: string;
  message: string;
}

export abstract class PatronError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
  toBody(): Record<string, unknown> {
    return { error: this.code, message: this.message };
  }
}

export class BadRequestError extends PatronError {
  readonly status = 400;
  readonly code = 'bad_request';
}

export class UnauthorizedError extends PatronError {
  readonly status = 401;
  readonly code = 'unauthorized';
}

/** A webhook whose signature or timestamp does not verify. */
export class SignatureError extends PatronError {
  readonly status = 401;
  readonly code = 'invalid_signature';
}

/** A valid API key without the scope the route needs. */
export class ForbiddenError extends PatronError {
  readonly status = 403;
  readonly code = 'forbidden';
}

export class NotFoundError extends PatronError {
  readonly status = 404;
  readonly code = 'not_found';
}

export class ConflictError extends PatronError {
  readonly status = 409;
  readonly code = 'conflict';
}

export class PayloadTooLargeError extends PatronError {
  readonly status = 413;
  readonly code = 'payload_too_large';
}

export class ValidationError extends PatronError {
  readonly status = 422;
  readonly code = 'validation_failed';
  constructor(
    message: string,
    readonly issues: FieldIssue[],
  ) {
    super(message);
  }
  override toBody(): Record<string, unknown> {
    return { ...super.toBody(), issues: this.issues };
  }
}

/** Server-side misconfiguration (missing secret, bad env). Never caused by the client. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
