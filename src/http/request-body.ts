import { DomainError } from '../shared/domain/domain-error';
import type { ApiRequest, ApiResponse, NextFunction } from './http-types';
import { ValidationFailedError, type FieldError } from './validation';

/** The largest JSON body accepted. API bodies are a few hundred bytes. */
export const BODY_LIMIT = '64kb';
/** Deeper bodies are refused before anything walks them recursively (the pipe does). */
export const MAX_BODY_DEPTH = 32;
/**
 * Keys that reach prototypes when a body is copied or merged into an object, and the
 * names every object inherits (`toString`, `valueOf`…): class-transformer skips those
 * silently, so without this they would be dropped instead of refused as unknown fields.
 */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype', ...Object.getOwnPropertyNames(Object.prototype)]);
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** The media types parsed as JSON, and the only ones a write's body may have. */
export const JSON_TYPES = ['application/json', 'application/*+json'];

/**
 * A write that carries a body must say it is JSON. Without this, a form post would reach
 * handlers with no body parsed and fail as a confusing validation error.
 */
export function requireJsonBody(req: ApiRequest, _res: ApiResponse, next: NextFunction): void {
  if (WRITE_METHODS.has(req.method) && hasBody(req) && !req.is?.(JSON_TYPES)) {
    next(new DomainError('REQUEST.UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json (UTF-8).'));
    return;
  }
  next();
}

/**
 * Placed right after the JSON parser: its errors become our codes. Their own messages
 * quote the body (`Unexpected token … in "…"`), so none of them is passed on.
 */
export function translateBodyParserError(error: unknown, _req: ApiRequest, _res: ApiResponse, next: NextFunction): void {
  const type = (error as { type?: unknown } | null)?.type;
  switch (type) {
    case 'entity.parse.failed':
      return next(new DomainError('REQUEST.MALFORMED_JSON', 'The request body is not valid JSON (an object or an array).'));
    case 'entity.too.large':
      return next(new DomainError('REQUEST.TOO_LARGE', `The request body is larger than ${BODY_LIMIT}.`, { limit: BODY_LIMIT }));
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return next(new DomainError('REQUEST.UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json (UTF-8).'));
    case 'request.aborted':
    case 'request.size.invalid':
      return next(new DomainError('REQUEST.INVALID', 'The request body ended before its announced length.'));
    default:
      return next(error);
  }
}

/**
 * Refuses bodies holding `__proto__`, `constructor`, `prototype` or inherited names at any depth, as
 * unknown fields (400 `VALIDATION.FAILED`). `JSON.parse` keeps them as plain keys, but the
 * next copy (`{ ...body }`, class-transformer, a merge) may set a prototype with them;
 * Nest's pipe would strip them silently, and API.md says unknown fields are refused.
 * Also refuses bodies nested deeper than `MAX_BODY_DEPTH` before anything recurses on them.
 */
export function guardBody(req: ApiRequest, _res: ApiResponse, next: NextFunction): void {
  const problem = inspectBody(req.body);
  if (problem === 'too_deep') {
    next(new DomainError('REQUEST.TOO_DEEP', `The request body is nested deeper than ${MAX_BODY_DEPTH} levels.`));
  } else if (problem.length > 0) {
    next(new ValidationFailedError(problem));
  } else {
    next();
  }
}

/** The forbidden keys found (as field errors), or `too_deep`. Iterative on purpose. */
export function inspectBody(body: unknown): FieldError[] | 'too_deep' {
  const found: FieldError[] = [];
  const pending: Array<{ value: unknown; path: string; depth: number }> = [{ value: body, path: '', depth: 0 }];
  while (pending.length > 0) {
    const { value, path, depth } = pending.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_BODY_DEPTH) return 'too_deep';
    for (const key of Object.keys(value)) {
      const child = path ? `${path}.${key}` : key;
      if (FORBIDDEN_KEYS.has(key)) {
        found.push({ field: child, messages: [`property ${key} should not exist`] });
      } else {
        pending.push({ value: (value as Record<string, unknown>)[key], path: child, depth: depth + 1 });
      }
    }
  }
  return found;
}

/** As in Node/Express's type-is: a body is announced by a length or a chunked encoding. */
function hasBody(req: ApiRequest): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
