import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { describeError } from './error-response';
import type { ApiRequest, ApiResponse } from './http-types';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id';

/**
 * The one place errors become answers: `{ error: { code, message, details } }` with the
 * status of the code (see `describeError`). It also receives what Express's middleware
 * passes to `next(error)` and the router's "no route", so every failure has one shape.
 * Server-side failures are logged with the request id and answered generically.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    // A GraphQL resolver's error (host type 'graphql') goes back to GraphQL untouched: the
    // answer is already being written by Apollo, and graphql.module.ts's formatError gives
    // it the same code and status through `describeError`.
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const req = http.getRequest<ApiRequest>();
    const res = http.getResponse<ApiResponse>();
    const requestId = requestIdOf(req);
    const answer = describeError(exception);

    if (answer.status === 500) {
      // The stack goes to the log, never to the client. The request id links the two.
      this.logger.error({ msg: 'Request failed', requestId, err: exception });
    } else if (answer.status > 500) {
      // Expected outages (the store is down): whoever detected it has said why.
      this.logger.warn({ msg: `Answered ${answer.status}`, requestId });
    }
    if (res.headersSent) {
      // Too late for an answer (a stream broke midway): end it so the client sees a failure.
      res.destroy();
      return;
    }
    res.setHeader(REQUEST_ID_HEADER, requestId);
    for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
    res.status(answer.status).json(answer.body);
  }
}
