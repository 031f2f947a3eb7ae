// The one error type of Vigil: a machine-readable code, a message a person can act on, and where it happened.
// Never throw anything else across a package boundary; wrap unknown throws with VigilError.wrap.

export type VigilErrorCode =
  | 'invalid_input' // a value that crossed a boundary does not match its schema
  | 'invalid_config' // a configuration file or flag is wrong
  | 'payload_too_large'
  | 'unauthenticated' // no or bad credentials
  | 'forbidden' // credentials are fine, the role is not allowed
  | 'not_found'
  | 'conflict' // the request clashes with current state (token used up, already enrolled, ...)
  | 'enrollment_refused'
  | 'unavailable' // a dependency (server, auditd, store) cannot be reached now; retry later
  | 'rate_limited' // the caller sent more requests than its rate limit allows; retry after the delay given
  | 'system' // the operating system refused an operation (permissions, missing binary)
  | 'internal';

/** Where an error is. Files use 1-based line and column; JSON inputs use a path such as `events[3]["process.pid"]`. */
export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: number;
  path?: string;
}

export interface VigilErrorOptions {
  location?: ErrorLocation;
  cause?: unknown;
  /** Further problems found in the same input (for example every invalid field of a batch). */
  details?: VigilErrorDetail[];
}

export interface VigilErrorDetail {
  message: string;
  location?: ErrorLocation;
}

export class VigilError extends Error {
  readonly code: VigilErrorCode;
  readonly location: ErrorLocation | undefined;
  readonly details: VigilErrorDetail[];

  constructor(code: VigilErrorCode, message: string, options: VigilErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VigilError';
    this.code = code;
    this.location = options.location;
    this.details = options.details ?? [];
  }

  /** Returns `error` itself when it is a VigilError, else an `internal` (or `fallback`) error wrapping it. */
  static wrap(error: unknown, fallback: VigilErrorCode = 'internal', message?: string): VigilError {
    if (error instanceof VigilError) return error;
    const text = error instanceof Error ? error.message : String(error);
    return new VigilError(fallback, message ? `${message}: ${text}` : text, { cause: error });
  }

  toJSON(): { code: VigilErrorCode; message: string; location?: ErrorLocation; details?: VigilErrorDetail[] } {
    return {
      code: this.code,
      message: this.message,
      ...(this.location ? { location: this.location } : {}),
      ...(this.details.length ? { details: this.details } : {}),
    };
  }
}

/** Formats a location the way editors and people read it: `file:line:col` or `path`. */
export function formatLocation(location: ErrorLocation | undefined): string {
  if (!location) return '';
  const parts: string[] = [];
  if (location.file) {
    let where = location.file;
    if (location.line !== undefined) where += `:${location.line}`;
    if (location.line !== undefined && location.column !== undefined) where += `:${location.column}`;
    parts.push(where);
  }
  if (location.path) parts.push(location.path);
  return parts.join(' ');
}

export function describeError(error: unknown): string {
  const e = VigilError.wrap(error);
  const where = formatLocation(e.location);
  const head = where ? `${where}: ${e.message}` : e.message;
  return e.details.length ? `${head}\n${e.details.map((d) => `  - ${formatLocation(d.location)} ${d.message}`.trimEnd()).join('\n')}` : head;
}
