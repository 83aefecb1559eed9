import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { AppConfig } from '../config/app-config';
import { actorOf } from '../security/principal';
import { principalOf } from '../security/request-principal';
import type { ApiRequest } from './http-types';
import { requestIdOf } from './request-id';
import { redactArchiveLink } from '../backups/archive-links';

/**
 * Request headers that may be logged. A list of what is allowed rather than of what is
 * secret: `Authorization`, `Cookie`, `Idempotency-Key` and any header added tomorrow stay
 * out of the logs without anyone remembering to redact them.
 */
const LOGGED_HEADERS = ['host', 'user-agent', 'content-type', 'content-length', 'accept'] as const;

type SerializedRequest = { id?: unknown; method?: string; url?: string; headers?: Record<string, unknown> };

/**
 * nestjs-pino's settings: one JSON line per request, keyed by the request id (the
 * caller's `X-Request-Id` or ours), with the caller's actor once authenticated. Bodies
 * are never logged: pino-http's serializers do not include them and the error logs
 * carry no request data.
 */
export function loggerParams(config: AppConfig): Params {
  return {
    pinoHttp: {
      level: config.logLevel,
      // Through process.stdout rather than pino's own fd writer, so that what reaches the
      // log is observable in-process (the e2e suite checks no secret does).
      stream: process.stdout,
      genReqId: (req: IncomingMessage) => requestIdOf(req as ApiRequest),
      customProps: (req: IncomingMessage) => {
        const principal = principalOf(req as ApiRequest);
        return principal ? { actor: actorOf(principal) } : {};
      },
      serializers: {
        req: (req: SerializedRequest) => ({
          id: req.id,
          method: req.method,
          // A download link's token is its credential: never in a log line.
          url: redactArchiveLink(req.url ?? ''),
          headers: pick(req.headers ?? {}, LOGGED_HEADERS),
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
      // Second line of defence for logs that bypass the serializers above.
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["idempotency-key"]',
          'headers.authorization',
          'headers.cookie',
          'headers["idempotency-key"]',
        ],
        censor: '[redacted]',
      },
      autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health' },
    },
  };
}

function pick(headers: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const name of names) if (headers[name] !== undefined) kept[name] = headers[name];
  return kept;
}
