import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { AppConfig } from '../config/app-config';
import { ARCHIVE_LINK_PATH, redactArchiveLink } from '../backups/archive-links';
import { logContextFields } from '../shared/logging/log-context';
import { REDACTED, SECRET_PATTERNS, secretRedactor } from '../shared/logging/redact-secrets';
import type { ApiRequest } from './http-types';
import { requestIdOf } from './request-id';

/**
 * Request headers that may be logged. A list of what is allowed rather than of what is
 * secret: `Authorization`, `Cookie`, `Idempotency-Key` and any header added tomorrow stay
 * out of the logs without anyone remembering to redact them.
 */
const LOGGED_HEADERS = ['host', 'user-agent', 'content-type', 'content-length', 'accept'] as const;

type SerializedRequest = { id?: unknown; method?: string; url?: string; headers?: Record<string, unknown> };

/** A download link's token, wherever it appears (an error message quoting a URL). */
const ARCHIVE_LINK_TOKEN = { pattern: new RegExp(`(${ARCHIVE_LINK_PATH.replace(/\//g, '\\/')})[^\\s"?\\\\]+`, 'g'), replacement: `$1${REDACTED}` };

/**
 * nestjs-pino's settings: JSON lines, each with the `correlation_id` of the work it belongs
 * to (and its `actor` when known; see `shared/logging/log-context.ts`), one per request
 * keyed by the request id (the caller's `X-Request-Id` or ours). Bodies are never logged:
 * pino-http's serializers do not include them and the error logs carry no request data.
 * Every line goes through a redactor before it is written, for secrets inside messages
 * and errors (a URL's password, a token) that no serializer knows about.
 */
export function loggerParams(config: AppConfig): Params {
  const masterKey = config.masterKey;
  const redact = secretRedactor(
    [config.adminToken, ...(masterKey ? [masterKey.toString('base64'), masterKey.toString('base64url'), masterKey.toString('hex')] : [])],
    [...SECRET_PATTERNS, ARCHIVE_LINK_TOKEN],
  );
  return {
    pinoHttp: {
      level: config.logLevel,
      // Through process.stdout rather than pino's own fd writer, so that what reaches the
      // log is observable in-process (the e2e suite checks no secret does).
      stream: { write: (line: string) => process.stdout.write(redact(line)) },
      mixin: logContextFields,
      genReqId: (req: IncomingMessage) => requestIdOf(req as ApiRequest),
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
        censor: REDACTED,
      },
      // Probes and scrapes come every few seconds: their lines would drown the rest.
      autoLogging: { ignore: (req: IncomingMessage) => /^\/(health(\/live|\/ready)?|metrics)(\?|$)/.test(req.url ?? '') },
    },
  };
}

function pick(headers: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const name of names) if (headers[name] !== undefined) kept[name] = headers[name];
  return kept;
}
