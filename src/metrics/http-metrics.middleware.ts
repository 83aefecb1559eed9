import { Injectable, NestMiddleware } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import type { ApiRequest, ApiResponse, NextFunction } from '../http/http-types';
import { PlatformMetrics } from './platform-metrics';

/** What a request that matched no route is labelled with (GraphQL is `/graphql`). */
export const UNMATCHED_ROUTE = 'unmatched';
/** Apollo is mounted as a middleware, not a route (graphql.module.ts). */
const GRAPHQL_PATH = '/graphql';
/** The pattern this middleware is mounted on (Nest mounts it as a route): `req.route` keeps it when no route matched. */
export const EVERY_ROUTE = '*path';

/**
 * Times every request until its answer is sent, labelled by the route's pattern
 * (`/v1/apps/:app`), never the raw URL: ids in paths would make a series each.
 * Refusals by the guard (401, 403) count under their route too.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: PlatformMetrics) {}

  use(req: ApiRequest, res: ApiResponse, next: NextFunction): void {
    const started = performance.now();
    res.once('finish', () => {
      this.metrics.httpSeconds.observe(
        { method: req.method, route: this.routeOf(req), status: String(res.statusCode) },
        (performance.now() - started) / 1000,
      );
    });
    next();
  }

  private routeOf(req: ApiRequest): string {
    const pattern = req.route?.path;
    if (typeof pattern === 'string' && pattern !== `/${EVERY_ROUTE}`) return pattern;
    const path = (req.originalUrl ?? req.url ?? '').split('?')[0];
    return path === GRAPHQL_PATH ? GRAPHQL_PATH : UNMATCHED_ROUTE;
  }
}
