import { Global, Module } from '@nestjs/common';
import { Clock, SystemClock } from './clock';
import { CommandExecutor } from './cqrs/command-executor';
import { CryptoRandom, Random } from './random';

/** Time, randomness and the command executor, for every feature. Tests may override Clock and Random. */
@Global()
@Module({
  providers: [
    { provide: Clock, useClass: SystemClock },
    { provide: Random, useClass: CryptoRandom },
    CommandExecutor,
  ],
  exports: [Clock, Random, CommandExecutor],
})
export class SharedModule {}
