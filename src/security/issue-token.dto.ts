import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Matches } from 'class-validator';
import { Role, ROLES } from './principal';
import { SUBJECT_PATTERN } from './token.service';

/** `POST /v1/tokens` body. */
export class IssueTokenDto {
  @ApiProperty({ enum: ROLES, description: 'What the token may do (API.md, "Calling it").' })
  @IsIn(ROLES)
  role!: Role;

  @ApiProperty({ pattern: SUBJECT_PATTERN.source, example: 'alice@example.com', description: 'Who holds the token.' })
  @IsString()
  @Matches(SUBJECT_PATTERN, { message: 'subject must be 1 to 128 characters of A-Z a-z 0-9 . _ @ : -' })
  subject!: string;
}

export class TokenView {
  @ApiProperty({ enum: ROLES })
  role!: Role;

  @ApiProperty()
  subject!: string;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ description: 'The bearer token. Shown in this answer only: it is not stored and cannot be read again.' })
  value!: string;
}

export class IssuedTokenResponse {
  @ApiProperty({ type: TokenView })
  token!: TokenView;
}
