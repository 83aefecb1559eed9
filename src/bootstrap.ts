import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule, AppOptions } from './app.module';
import { configureHttpPipeline } from './http/http-pipeline';
import { setupOpenApi } from './http/openapi';
import { createValidationPipe } from './http/validation';

/** The whole application, configured as in production but not yet listening. */
export async function createApp(options: AppOptions = {}): Promise<INestApplication> {
  // Our own JSON parser goes after the request-id middleware (see http-pipeline.ts).
  const app = await NestFactory.create(AppModule.forRoot(options), { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  configureHttpPipeline(app);
  app.useGlobalPipes(createValidationPipe());
  setupOpenApi(app);
  app.enableShutdownHooks();
  return app;
}
