import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Optional } from '../../../http/optional';
import { IsIn, IsString, Matches, MaxLength } from 'class-validator';
import { DATABASE_TYPES } from '../../../catalogue/domain/catalogue';

export class ProvisionAddonDto {
  @ApiProperty({ enum: DATABASE_TYPES, example: 'redis' })
  @IsString()
  @IsIn(DATABASE_TYPES)
  addon_provider_id!: string;

  @ApiProperty({ example: 'redis-starter-1024', description: '<type>-<class>-<size>, or <type>-sandbox' })
  @IsString()
  @MaxLength(64)
  @Matches(/^[a-z]+-(sandbox|starter-\d+|business-\d+)$/, { message: 'plan_id reads <type>-<class>-<size>, e.g. redis-starter-1024' })
  plan_id!: string;

  @ApiPropertyOptional({ example: '7.2.8', description: 'Defaults to the newest version offered' })
  @Optional()
  @IsString()
  @Matches(/^\d+\.\d+\.\d+$/, { message: 'version is a semantic version such as 7.2.8' })
  version?: string;
}
