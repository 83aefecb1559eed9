import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { IDEMPOTENCY_KEY_HEADER } from './idempotency.interceptor';
import { REQUEST_ID_HEADER } from './request-id';

const WRITES = ['post', 'put', 'patch', 'delete'] as const;

/** The OpenAPI document, generated from the controllers and DTOs. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('db-addons')
      .setDescription('Control plane of managed databases. Errors: `{ "error": { "code", "message", "details" } }`.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  // Headers every route honours, declared once here rather than on every handler.
  for (const path of Object.values(document.paths)) {
    for (const method of ['get', ...WRITES] as const) {
      const operation = path[method];
      if (!operation) continue;
      operation.parameters = [
        ...(operation.parameters ?? []),
        { name: REQUEST_ID_HEADER, in: 'header', required: false, schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' } },
        ...((WRITES as readonly string[]).includes(method) && operation.security
          ? [{ name: IDEMPOTENCY_KEY_HEADER, in: 'header' as const, required: false, schema: { type: 'string', maxLength: 128 } }]
          : []),
      ];
    }
  }
  return document;
}

/**
 * `GET /docs` (Swagger UI) and `GET /docs/json`. Served by the HTTP adapter outside Nest's
 * router, so the auth guard does not apply: the docs are public. Built on first request,
 * which keeps the start fast.
 */
export function setupOpenApi(app: INestApplication): void {
  let document: OpenAPIObject | undefined;
  SwaggerModule.setup('docs', app, () => (document ??= buildOpenApiDocument(app)), {
    jsonDocumentUrl: 'docs/json',
    raw: ['json'],
  });
}
