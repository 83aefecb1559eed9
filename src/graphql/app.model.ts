import { Field, ID, ObjectType } from '@nestjs/graphql';
import type { appView } from '../apps/api/app.view';

/** An app, as `GET /v1/apps/:app` shows it. */
@ObjectType('App')
export class AppModel {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field({ description: 'The owner who created it.' })
  owner!: string;

  @Field()
  createdAt!: string;

  @Field(() => [String])
  addonIds!: string[];

  static from(view: ReturnType<typeof appView>): AppModel {
    return { id: view.id, name: view.name, owner: view.owner, createdAt: view.created_at, addonIds: view.addon_ids };
  }
}

/** What `createApp` answers: the app, and the log position to read it back from (`minPosition`). */
@ObjectType()
export class AppPayload {
  @Field(() => AppModel)
  app!: AppModel;

  @Field(() => String, { nullable: true, description: 'Global position of the last event appended (X-Event-Position over REST).' })
  position!: string | null;
}
