import { ApiPropertyOptional } from '@nestjs/swagger';
import { Optional } from '../../../http/optional';
import { isUUID, IsISO8601, ValidateBy } from 'class-validator';

/** Exactly one of the two: a backup to restore, or (PostgreSQL) a moment to go back to. */
export class RestoreDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @ValidateBy({
    name: 'restoreSource',
    validator: {
      validate: (value: unknown, args) => {
        const other = (args?.object as RestoreDto).restore_time;
        if (value === undefined) return other !== undefined;
        return other === undefined && typeof value === 'string' && isUUID(value);
      },
      defaultMessage: () => 'give either backup_id (the id of a backup) or restore_time (an ISO-8601 time), exactly one',
    },
  })
  backup_id?: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-11-21T10:15:00Z' })
  @Optional()
  @IsISO8601({ strict: true }, { message: 'restore_time is an ISO-8601 time such as 2026-11-21T10:15:00Z' })
  restore_time?: string;
}
