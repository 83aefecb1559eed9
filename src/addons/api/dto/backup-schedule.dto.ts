import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Optional } from '../../../http/optional';
import { IsBoolean, ValidateBy, ValidationOptions } from 'class-validator';

/** A number 0-23, or a string such as "4:00 UTC" or "20 Europe/Paris" (parsed by the domain). */
function IsScheduleTime(options?: ValidationOptions) {
  return ValidateBy(
    {
      name: 'isScheduleTime',
      validator: {
        validate: (value: unknown) =>
          (typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && value.length <= 64),
        defaultMessage: () => 'scheduled_at is an hour 0-23, or a string like "4:00 UTC" or "20 Europe/Paris"',
      },
    },
    options,
  );
}

export class BackupScheduleDto {
  @ApiProperty()
  @IsBoolean()
  enabled!: boolean;

  @ApiPropertyOptional({
    oneOf: [{ type: 'integer', minimum: 0, maximum: 23 }, { type: 'string', example: '20 Europe/Paris' }],
    description: 'Hour of the daily backup: 3 (UTC), "4:00 UTC", "20 Europe/Paris". Kept when omitted.',
  })
  @Optional()
  @IsScheduleTime()
  scheduled_at?: number | string;
}
