import { HttpException, HttpStatus, ServiceUnavailableException } from '@nestjs/common';
import { DomainError } from '../shared/domain/domain-error';
import { statusOf } from './error-status';

/** The body of every error answer (API.md). */
export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

/** What the API answers for an exception: computed once, used by the filter and by idempotency. */
export interface ErrorAnswer {
  status: number;
  body: ErrorBody | Record<string, unknown>;
  headers: Record<string, string>;
}

const INTERNAL: ErrorBody['error'] = {
  code: 'INTERNAL.ERROR',
  message: 'Something went wrong on our side. Quote the X-Request-Id of this answer to support.',
  details: {},
};

/**
 * Nest's own HTTP exceptions (the router's 404, a guard returning false, built-in pipes)
 * get a code and a fixed message. Their own messages can hold request values (the
 * router's says `Cannot GET /the/path?and=query`), so they are never sent.
 */
const HTTP_EXCEPTIONS: Readonly<Record<number, { code: string; message: string }>> = {
  400: { code: 'REQUEST.INVALID', message: 'The request is invalid.' },
  401: { code: 'AUTH.INVALID_TOKEN', message: 'The bearer token is not valid.' },
  403: { code: 'AUTH.FORBIDDEN', message: 'Your token does not allow this call.' },
  404: { code: 'ROUTE.NOT_FOUND', message: 'No route matches this method and path. The API is described at /docs.' },
  405: { code: 'REQUEST.METHOD_NOT_ALLOWED', message: 'This method is not allowed on this path.' },
  406: { code: 'REQUEST.NOT_ACCEPTABLE', message: 'This API answers application/json only.' },
  408: { code: 'REQUEST.TIMEOUT', message: 'The request took too long to arrive.' },
  413: { code: 'REQUEST.TOO_LARGE', message: 'The request body is too large.' },
  415: { code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE', message: 'Send the body as application/json (UTF-8).' },
  429: { code: 'RATE.LIMITED', message: 'Too many requests. Retry later.' },
  503: { code: 'SERVICE.UNAVAILABLE', message: 'The service is unavailable. Retry later.' },
};

/** Maps anything thrown during a request to the answer the client gets. Pure. */
export function describeError(exception: unknown): ErrorAnswer {
  if (exception instanceof DomainError) {
    const status = statusOf(exception.code);
    // A server-side failure dressed as a DomainError is still not the client's business.
    if (status >= 500 && status !== 503) return answer(500, INTERNAL);
    return answer(status, { code: exception.code, message: exception.message, details: jsonSafe(exception.details) });
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    // GET /health keeps terminus's documented report, which is the useful part of its 503.
    if (exception instanceof ServiceUnavailableException && isHealthReport(response)) {
      return { status, body: response, headers: {} };
    }
    return fromStatus(status);
  }
  // Errors of Express and its body parser (http-errors) carry a status; only client
  // errors are trusted with one.
  const status = (exception as { status?: unknown; statusCode?: unknown } | null)?.status ??
    (exception as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return fromStatus(status);
  return answer(HttpStatus.INTERNAL_SERVER_ERROR, INTERNAL);
}

function fromStatus(status: number): ErrorAnswer {
  if (status >= 500) {
    return status === 503 ? answer(503, { ...HTTP_EXCEPTIONS[503], details: {} }) : answer(500, INTERNAL);
  }
  const known = HTTP_EXCEPTIONS[status] ?? { code: 'REQUEST.REFUSED', message: 'The request was refused.' };
  return answer(status, { ...known, details: {} });
}

function answer(status: number, error: ErrorBody['error']): ErrorAnswer {
  const headers: Record<string, string> = {};
  if (status === 401) {
    // RFC 6750: name the scheme; add an error code only when a token was sent.
    headers['WWW-Authenticate'] =
      error.code === 'AUTH.MISSING_TOKEN' ? 'Bearer realm="db-addons"' : 'Bearer realm="db-addons", error="invalid_token"';
  }
  return { status, body: { error: { code: error.code, message: error.message, details: error.details } }, headers };
}

function isHealthReport(response: unknown): response is Record<string, unknown> {
  return (
    typeof response === 'object' &&
    response !== null &&
    (response as { status?: unknown }).status === 'error' &&
    'error' in response &&
    'details' in response
  );
}

/**
 * Details as plain JSON: bigints (revisions, positions) as strings, nothing that would
 * make the answer itself fail to serialize.
 */
function jsonSafe(details: Record<string, unknown>): Record<string, unknown> {
  try {
    const text = JSON.stringify(details ?? {}, (_, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
    const parsed: unknown = text === undefined ? {} : JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
