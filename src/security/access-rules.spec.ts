import { Controller, Get, Post } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { Public, Roles } from './access.decorators';
import { undeclaredRoutes } from './access-rules';

@Controller('v1/things')
@Roles('owner')
class DeclaredOnClass {
  @Get()
  list() {}
  @Post()
  @Roles('admin')
  create() {}
}

@Controller('v1/mixed')
class Mixed {
  @Get('open')
  @Public()
  open() {}
  @Get('guarded')
  @Roles('support')
  guarded() {}
  @Post('forgotten')
  forgotten() {}
  helper() {}
}

describe('undeclaredRoutes', () => {
  it('lists the routes that declare neither @Roles nor @Public, and only those', async () => {
    const module = await Test.createTestingModule({ controllers: [DeclaredOnClass, Mixed] }).compile();
    expect(undeclaredRoutes(module.get(ModulesContainer))).toEqual([
      { controller: 'Mixed', handler: 'forgotten', route: 'POST /v1/mixed/forgotten' },
    ]);
  });
});
