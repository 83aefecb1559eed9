import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';

export class ChangePlanDto {
  @ApiProperty({ example: 'redis-business-1024' })
  @IsString()
  @MaxLength(64)
  @Matches(/^[a-z]+-(sandbox|starter-\d+|business-\d+)$/, { message: 'plan_id reads <type>-<class>-<size>, e.g. redis-starter-1024' })
  plan_id!: string;
}
