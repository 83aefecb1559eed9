import { Global, Module } from '@nestjs/common';
import { AppConfig, validateEnvironment } from './app-config';

/** Reads and checks the environment when the app is created (not when this file is imported). */
@Global()
@Module({
  providers: [{ provide: AppConfig, useFactory: () => new AppConfig(validateEnvironment(process.env)) }],
  exports: [AppConfig],
})
export class AppConfigModule {}
