import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { APP_NAME } from '../../domain/app.decider';

export class CreateAppDto {
  @ApiProperty({ example: 'my-app', pattern: APP_NAME.source })
  @IsString()
  @Matches(APP_NAME, {
    message: 'name is 3 to 48 lowercase letters, digits and dashes, starting with a letter and not ending with a dash',
  })
  name!: string;
}
