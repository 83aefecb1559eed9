import { ApiPropertyOptional } from '@nestjs/swagger';
import { Optional } from '../../../http/optional';
import { IsString, Matches } from 'class-validator';

export class UpgradeDto {
  @ApiPropertyOptional({ example: '7.4.2', description: 'Defaults to the add-on\'s next_version' })
  @Optional()
  @IsString()
  @Matches(/^\d+\.\d+\.\d+$/, { message: 'version is a semantic version such as 7.4.2' })
  version?: string;
}
