import { ApiProperty } from '@nestjs/swagger';
import { IsString, IsUUID, Length } from 'class-validator';

export class MaintenanceDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  addon_id!: string;

  @ApiProperty({ example: 'Security patches of the host OS', description: 'Shown to the owner in the announcement' })
  @IsString()
  @Length(3, 200)
  reason!: string;
}
