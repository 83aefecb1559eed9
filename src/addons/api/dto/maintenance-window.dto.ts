import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';

export class MaintenanceWindowDto {
  @ApiProperty({ minimum: 0, maximum: 6, description: '0 = Sunday … 6 = Saturday (UTC)', example: 2 })
  @IsInt()
  @Min(0)
  @Max(6)
  weekday_utc!: number;

  @ApiProperty({ minimum: 0, maximum: 23, example: 3 })
  @IsInt()
  @Min(0)
  @Max(23)
  starting_hour_utc!: number;
}
