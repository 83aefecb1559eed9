import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule, AppOptions } from './app.module';
import { AppConfig } from './config/app-config';
import { stopOnSignals } from './http/graceful-shutdown';
import { configureHttpPipeline } from './http/http-pipeline';
import { setupOpenApi } from './http/openapi';
import { createValidationPipe } from './http/validation';

/**
 * The whole application, configured as in production but not yet listening. `app.close()`
 * runs the shutdown hooks; signals are `serve`'s business (tests close the app themselves).
 */
export async function createApp(options: AppOptions = {}): Promise<INestApplication> {
  // Our own JSON parser goes after the request-id middleware (see http-pipeline.ts).
  const app = await NestFactory.create(AppModule.forRoot(options), { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  configureHttpPipeline(app);
  app.useGlobalPipes(createValidationPipe());
  setupOpenApi(app);
  return app;
}

/**
 * The server as `npm start` runs it: the application listening on `PORT` (on `host`, all
 * interfaces by default), stopped gracefully on SIGTERM or SIGINT within
 * `SHUTDOWN_TIMEOUT_MS` (see `http/graceful-shutdown.ts`).
 */
export async function serve(host?: string): Promise<INestApplication> {
  const app = await createApp();
  const config = app.get(AppConfig);
  if (host === undefined) await app.listen(config.port);
  else await app.listen(config.port, host);
  stopOnSignals(app, config.shutdownTimeoutMs);
  return app;
}
