import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig, validateEnvironment } from '../../config/app-config';
import { Clock, SimulatedClock } from '../../shared/clock';
import { DriverModule } from './driver.module';
import { PlatformDriver } from './platform-driver.port';
import { SimulatedPlatformDriver } from './simulated-platform-driver';

describe('DriverModule', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'driver-module-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('provides the simulated driver on DATA_DIR, with the configured scale, sleeping on the app clock', async () => {
    const clock = new SimulatedClock('2025-03-03T10:00:00.000Z');
    const config = new AppConfig(validateEnvironment({ DATA_DIR: dataDir, DRIVER_LATENCY_SCALE: '0.5' }));
    @Global()
    @Module({ providers: [{ provide: AppConfig, useValue: config }, { provide: Clock, useValue: clock }], exports: [AppConfig, Clock] })
    class Given {}

    const module = await Test.createTestingModule({ imports: [Given, DriverModule] }).compile();
    const driver = module.get(PlatformDriver);
    expect(driver).toBeInstanceOf(SimulatedPlatformDriver);
    expect((driver as SimulatedPlatformDriver).latencyOf('provision')).toBe(15_000);
    expect((driver as SimulatedPlatformDriver).archives.root).toBe(join(dataDir, 'backups'));
  });
});
