// Maps errors to HTTP responses: the only place that knows status codes.
// Unknown throws become 500 with a generic message (details go to the log, not the client).

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { VigilError, createLogger, type VigilErrorCode } from '@vigil/common';

const status: Record<VigilErrorCode, number> = {
  invalid_input: 400,
  invalid_config: 400,
  payload_too_large: 413,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  enrollment_refused: 403,
  unavailable: 503,
  system: 500,
  internal: 500,
};

const log = createLogger('server.http');

export function toVigilError(error: unknown): VigilError {
  if (error instanceof VigilError) return error;
  const fastifyError = error as FastifyError & { validation?: unknown; validationContext?: string };
  if (fastifyError?.validation) {
    return new VigilError('invalid_input', `${fastifyError.validationContext ?? 'request'} ${fastifyError.message.replace(/^(body|querystring|params)\/?/, '')}`.trim(), {
      location: { path: fastifyError.validationContext ?? 'request' },
    });
  }
  switch (fastifyError?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new VigilError('payload_too_large', 'request body is larger than this route accepts');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new VigilError('invalid_input', fastifyError.message);
  }
  if (fastifyError?.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return new VigilError(fastifyError.statusCode === 404 ? 'not_found' : 'invalid_input', fastifyError.message);
  }
  if (error instanceof SyntaxError) return new VigilError('invalid_input', `request body is not valid JSON: ${error.message}`);
  return VigilError.wrap(error);
}

export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const vigilError = toVigilError(error);
  const code = status[vigilError.code];
  if (code >= 500) log.error('request failed', { method: request.method, url: request.url, error: vigilError.message, cause: String((error as Error)?.stack ?? error) });
  const body = code >= 500 && vigilError.code === 'internal' ? { code: 'internal', message: 'internal error; see the server log' } : vigilError.toJSON();
  void reply.status(code).send({ error: body });
}
