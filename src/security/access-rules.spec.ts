import { Controller, Get, Post } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { Mutation, Query, ResolveField, Resolver } from '@nestjs/graphql';
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

@Resolver()
class Things {
  @Query(() => String)
  @Roles('owner')
  thing() {}
  @Mutation(() => String)
  forgottenWrite() {}
  @ResolveField('detail', () => String)
  forgottenField() {}
  helper() {}
}

@Resolver()
@Roles('support')
class DeclaredResolver {
  @Query(() => String)
  read() {}
}

describe('undeclaredRoutes of GraphQL resolvers', () => {
  it('lists the queries, mutations and resolved fields that declare neither @Roles nor @Public', async () => {
    const module = await Test.createTestingModule({ providers: [Things, DeclaredResolver] }).compile();
    expect(undeclaredRoutes(module.get(ModulesContainer))).toEqual([
      { controller: 'Things', handler: 'forgottenWrite', route: 'GraphQL Mutation forgottenWrite' },
      { controller: 'Things', handler: 'forgottenField', route: 'GraphQL field detail' },
    ]);
  });
});
