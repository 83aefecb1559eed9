import { Body, Controller, HttpCode, HttpStatus, Post, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ApiResponse } from '../http/http-types';
import { markPosition } from '../http/write-response';
import type { CommandContext } from '../shared/cqrs/command-context';
import { Roles } from './access.decorators';
import { IssuedTokenResponse, IssueTokenDto } from './issue-token.dto';
import { RequestContext } from './request.decorators';
import { TokenService } from './token.service';

@ApiTags('tokens')
@Controller('v1/tokens')
@Roles('admin')
export class TokensController {
  constructor(private readonly tokens: TokenService) {}

  /**
   * Issues a token. Its value is in this answer only. With an `Idempotency-Key`, a repeat
   * answers the same token again (the stored answer, sealed with the master key): that is
   * what idempotency means for a create, and what lets a client that lost the answer to a
   * timeout get its token rather than a second one.
   */
  @Post()
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Issue a bearer token (admin)' })
  @ApiCreatedResponse({ type: IssuedTokenResponse })
  @ApiBadRequestResponse({ description: '`VALIDATION.FAILED` with every failing field' })
  async issue(
    @Body() body: IssueTokenDto,
    @RequestContext() context: CommandContext,
    @Res({ passthrough: true }) res: ApiResponse,
  ): Promise<IssuedTokenResponse> {
    const issued = await this.tokens.issue({ role: body.role, subject: body.subject }, context);
    markPosition(res, issued.position);
    return {
      token: {
        role: issued.role,
        subject: issued.subject,
        created_at: issued.createdAt.toISOString(),
        value: issued.value,
      },
    };
  }
}
