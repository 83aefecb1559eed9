import { ArgsType, Field, ID } from '@nestjs/graphql';
import { IsIn, IsString, Matches, MaxLength } from 'class-validator';
import { DATABASE_TYPES } from '../catalogue/domain/catalogue';
import { Optional } from '../http/optional';

/*
 * The arguments of the add-on mutations, checked by the global ValidationPipe with the
 * rules of the REST DTOs (src/addons/api/dto). The app and add-on are looked up, not
 * validated: a malformed one is "not found", as in a REST path.
 */

const PLAN_ID = /^[a-z]+-(sandbox|starter-\d+|business-\d+)$/;
const PLAN_ID_MESSAGE = 'planId reads <type>-<class>-<size>, e.g. redis-starter-1024';
const VERSION = /^\d+\.\d+\.\d+$/;

@ArgsType()
export class AddonArgs {
  @Field({ description: 'The app name.' })
  @IsString()
  app!: string;

  @Field(() => ID)
  @IsString()
  addonId!: string;
}

@ArgsType()
export class ProvisionAddonArgs {
  @Field({ description: 'The app name.' })
  @IsString()
  app!: string;

  @Field({ description: `One of ${DATABASE_TYPES.join(', ')}.` })
  @IsString()
  @IsIn(DATABASE_TYPES)
  providerId!: string;

  @Field({ description: '<type>-<class>-<size>, or <type>-sandbox.' })
  @IsString()
  @MaxLength(64)
  @Matches(PLAN_ID, { message: PLAN_ID_MESSAGE })
  planId!: string;

  @Field(() => String, { nullable: true, description: 'Defaults to the newest version offered.' })
  @Optional()
  @IsString()
  @Matches(VERSION, { message: 'version is a semantic version such as 7.2.8' })
  version?: string;
}

@ArgsType()
export class ChangePlanArgs extends AddonArgs {
  @Field()
  @IsString()
  @MaxLength(64)
  @Matches(PLAN_ID, { message: PLAN_ID_MESSAGE })
  planId!: string;
}

@ArgsType()
export class UpgradeAddonArgs extends AddonArgs {
  @Field(() => String, { nullable: true, description: "Defaults to the add-on's nextVersion." })
  @Optional()
  @IsString()
  @Matches(VERSION, { message: 'version is a semantic version such as 7.4.2' })
  version?: string;
}

@ArgsType()
export class BackupsArgs extends AddonArgs {
  @Field(() => String, { nullable: true, description: 'Wait until the read model holds this position (a write’s position).' })
  @Optional()
  @IsString()
  minPosition?: string;
}
