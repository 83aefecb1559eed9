import { DynamicModule, Global, Module } from '@nestjs/common';
import { Clock, SystemClock } from './clock';
import { CommandExecutor } from './cqrs/command-executor';
import { CryptoRandom, Random } from './random';

export interface SharedOptions {
  /** The platform's clock: the system clock unless a simulation brings its own. */
  clock?: Clock;
}

/** Time, randomness and the command executor, for every feature. */
@Global()
@Module({})
export class SharedModule {
  static forRoot({ clock }: SharedOptions = {}): DynamicModule {
    return {
      module: SharedModule,
      providers: [
        { provide: Clock, useValue: clock ?? new SystemClock() },
        { provide: Random, useClass: CryptoRandom },
        CommandExecutor,
      ],
      exports: [Clock, Random, CommandExecutor],
    };
  }
}
