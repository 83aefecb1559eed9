import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { BODY_LIMIT, guardBody, JSON_TYPES, requireJsonBody, translateBodyParserError } from './request-body';
import { requestIdMiddleware } from './request-id';

/**
 * What runs before Nest's router, in this order: the request id (so that every answer,
 * even a body-parser failure, carries it), the content-type check of writes, the JSON
 * parser (64 kB), the translation of its errors, and the refusal of prototype keys. The
 * app must be created with `bodyParser: false`, or Nest would put its own parser first.
 * Failures go to `next(error)`, where Nest hands them to the global filter.
 */
export function configureHttpPipeline(app: INestApplication): void {
  const express = app as NestExpressApplication;
  express.disable('x-powered-by');
  express.use(requestIdMiddleware);
  express.use(requireJsonBody);
  express.useBodyParser('json', { limit: BODY_LIMIT, type: JSON_TYPES });
  express.use(translateBodyParserError);
  express.use(guardBody);
}
