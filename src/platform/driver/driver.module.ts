import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { Clock } from '../../shared/clock';
import { PlatformDriver } from './platform-driver.port';
import { SimulatedPlatformDriver } from './simulated-platform-driver';

/**
 * The data plane, for every feature: `PlatformDriver` is the simulated driver on
 * `DATA_DIR`, its latencies slept on the app's clock (so a test overriding `Clock` runs
 * them in simulated time). A real data plane is another provider for the same token.
 */
@Global()
@Module({
  providers: [
    {
      provide: PlatformDriver,
      inject: [AppConfig, Clock],
      useFactory: (config: AppConfig, clock: Clock): PlatformDriver =>
        new SimulatedPlatformDriver({
          dataDir: config.dataDir,
          clock,
          latencyScale: config.driver.latencyScale,
          failureRate: config.driver.failureRate,
          seed: config.driver.seed,
        }),
    },
  ],
  exports: [PlatformDriver],
})
export class DriverModule {}
