// Maps errors to HTTP responses: the only place that knows status codes.
// Unknown throws become 500 with a generic message (details go to the log, not the client).

import type { FastifyError, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
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
  rate_limited: 429,
  system: 500,
  internal: 500,
};

const log = createLogger('server.http');

/** The body of every error answer, for the OpenAPI document. */
export const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      additionalProperties: true,
      properties: {
        code: { type: 'string', enum: Object.keys(status) },
        message: { type: 'string' },
        location: { type: 'object', additionalProperties: true },
        details: { type: 'array', items: { type: 'object', additionalProperties: true, properties: { message: { type: 'string' }, location: { type: 'object', additionalProperties: true } } } },
      },
    },
  },
};

const errorDescriptions: Record<number, string> = {
  400: 'The request does not match its schema (code invalid_input)',
  401: 'No or an invalid session or API token (code unauthenticated)',
  403: 'The caller\'s role lacks the permission this route needs (code forbidden)',
  404: 'No such object (code not_found)',
  409: 'The request clashes with the current state (code conflict)',
  413: 'The request body is larger than this route accepts (code payload_too_large)',
  429: 'Rate limit exceeded (code rate_limited); see the Retry-After header',
  500: 'Internal error; details are in the server log',
  503: 'A dependency is unavailable now; retry later (code unavailable)',
};

/** An error response for a route's `schema.response`, with its description and an example. */
export function errorResponse(statusCode: number, example?: { code: VigilErrorCode; message: string }) {
  const code = example?.code ?? ((Object.entries(status).find(([, value]) => value === statusCode)?.[0] ?? 'internal') as VigilErrorCode);
  return {
    ...errorSchema,
    description: errorDescriptions[statusCode] ?? 'Error',
    ...(statusCode === 429 ? { headers: { 'retry-after': { type: 'integer', description: 'Seconds to wait before the next request' } } } : {}),
    examples: [{ error: { code, message: example?.message ?? errorDescriptions[statusCode] ?? 'error' } }],
  };
}

/** The parts of a route's options the OpenAPI document is made from. */
interface DocumentedSchema {
  hide?: boolean;
  body?: unknown;
  querystring?: unknown;
  params?: unknown;
  response?: Record<string, unknown>;
  security?: unknown[];
}

/**
 * An onRoute hook: adds the error answers every documented route can give (400 with a request schema, 401 and 403
 * unless public, 404 with path parameters, 413 with a body, 429, 500) unless the route documents them itself, and
 * marks public routes as needing no security.
 */
export function documentErrorResponses(route: RouteOptions): void {
  const schema = route.schema as DocumentedSchema | undefined;
  if (!schema || schema.hide) return;
  const response = (schema.response ??= {});
  const add = (code: number) => (response[String(code)] ??= errorResponse(code));
  if (route.config?.permission === 'public') schema.security ??= [];
  if (schema.body || schema.querystring || schema.params) add(400);
  if (route.config?.permission !== 'public') (add(401), add(403));
  if (schema.params) add(404);
  if (schema.body) add(413);
  add(429);
  add(500);
}

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
  // A 429 always tells the caller when to retry; the rate limiter sets the exact delay before it throws.
  if (code === 429 && !reply.hasHeader('retry-after')) void reply.header('retry-after', '1');
  const body = code >= 500 && vigilError.code === 'internal' ? { code: 'internal', message: 'internal error; see the server log' } : vigilError.toJSON();
  void reply.status(code).send({ error: body });
}
