import { ArgsType, Field } from '@nestjs/graphql';
import { IsString, Matches } from 'class-validator';
import { APP_NAME } from '../apps/domain/app.decider';

/** `createApp(name)`, with the rule of CreateAppDto. */
@ArgsType()
export class CreateAppArgs {
  @Field({ description: '3 to 48 lowercase letters, digits and dashes, starting with a letter.' })
  @IsString()
  @Matches(APP_NAME, {
    message: 'name is 3 to 48 lowercase letters, digits and dashes, starting with a letter and not ending with a dash',
  })
  name!: string;
}
