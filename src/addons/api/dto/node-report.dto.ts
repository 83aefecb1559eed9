import { ApiProperty } from '@nestjs/swagger';
import { IsString, IsUUID, Matches, MaxLength } from 'class-validator';

export class NodeReportDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  addon_id!: string;

  @ApiProperty({ example: 'my-app-3030-db-1' })
  @IsString()
  @MaxLength(128)
  @Matches(/^[a-z0-9-]+$/, { message: 'node is a node name such as my-app-3030-db-1' })
  node!: string;
}
