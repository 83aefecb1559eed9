import { ApolloDriver, ApolloDriverConfig } from '@nestjs/apollo';
import { Logger, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { GraphQLModule } from '@nestjs/graphql';
import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { AppsModule } from '../apps/apps.module';
import { AuditModule } from '../audit/audit.module';
import { describeError, ErrorBody } from '../http/error-response';
import type { ApiRequest } from '../http/http-types';
import { requestIdOf } from '../http/request-id';
import { AddonsResolver } from './addons.resolver';
import { AppsResolver } from './apps.resolver';
import { AuditResolver } from './audit.resolver';

const GRAPHQL_PATH = '/graphql';

/** The HTTP-equivalent status of Apollo's own codes (a query that does not parse, validate or coerce). */
const APOLLO_STATUS: Readonly<Record<string, number>> = { INTERNAL_SERVER_ERROR: 500 };

/**
 * Follows a GraphQL error down to what a resolver (or the guard, a pipe) threw; a
 * GraphQLError when GraphQL itself refused the operation.
 */
function causeOf(error: unknown): unknown {
  let cause = error;
  while (cause instanceof GraphQLError && cause.originalError) cause = cause.originalError;
  return cause;
}

/**
 * Every GraphQL error in the shape of the REST ones: `extensions.code` the stable code
 * (`ADDON.NOT_FOUND`, `AUTH.FORBIDDEN`…), `extensions.status` the HTTP status REST would
 * answer, `extensions.details` as REST's. The same `describeError` decides, so a server
 * failure is `INTERNAL.ERROR` with a generic message; never a stack.
 */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const cause = causeOf(error);
  const where = { ...(formatted.locations && { locations: formatted.locations }), ...(formatted.path && { path: formatted.path }) };
  if (cause instanceof GraphQLError) {
    const code = typeof formatted.extensions?.code === 'string' ? formatted.extensions.code : 'GRAPHQL_VALIDATION_FAILED';
    const status = APOLLO_STATUS[code] ?? 400;
    if (status === 500) return internal(where);
    return { message: formatted.message, ...where, extensions: { code, status } };
  }
  const answer = describeError(cause);
  const body = answer.body as Partial<ErrorBody>;
  if (!body.error) return internal(where, answer.status);
  const { code, message, details } = body.error;
  return { message, ...where, extensions: { code, status: answer.status, details } };
}

function internal(where: Pick<GraphQLFormattedError, 'locations' | 'path'>, status = 500): GraphQLFormattedError {
  const { error } = describeError(new Error('internal')).body as ErrorBody;
  return { message: error.message, ...where, extensions: { code: error.code, status, details: {} } };
}

const logger = new Logger('GraphQL');

/** Server-side failures go to the log with the request id (their answer says only INTERNAL.ERROR), as over REST. */
const logFailures = {
  async requestDidStart() {
    return {
      async didEncounterErrors({ contextValue, errors }: { contextValue: unknown; errors: readonly GraphQLError[] }) {
        const req = (contextValue as { req?: ApiRequest } | undefined)?.req;
        for (const error of errors) {
          const cause = causeOf(error);
          const failed = cause instanceof GraphQLError ? error.extensions?.code === 'INTERNAL_SERVER_ERROR' : describeError(cause).status === 500;
          if (failed) logger.error({ msg: 'GraphQL operation failed', requestId: req ? requestIdOf(req) : undefined, err: cause });
        }
      },
    };
  },
};

/**
 * GraphQL at POST /graphql, code first (schema built in memory): the reads of the REST API
 * and its main writes, through the same services, commands and global guard. Guards also
 * run on resolved fields (`Addon.backups`), so a field cannot be reached around its roles.
 */
@Module({
  imports: [
    CqrsModule,
    AppsModule,
    AuditModule,
    GraphQLModule.forRoot<ApolloDriverConfig>({
      driver: ApolloDriver,
      path: GRAPHQL_PATH,
      autoSchemaFile: true,
      sortSchema: true,
      playground: false,
      graphiql: false,
      includeStacktraceInErrorResponses: false,
      autoTransformHttpErrors: false,
      fieldResolverEnhancers: ['guards'],
      formatError: formatGraphQLError,
      plugins: [logFailures],
    }),
  ],
  providers: [AppsResolver, AddonsResolver, AuditResolver],
})
export class GraphqlApiModule {}
