import { Matches, Validate, ValidationArguments, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';
import { Optional } from '../../http/optional';
import { isPublicEventType, PublicEventType } from '../../public-events/public-event.schemas';

/** A position as the feed gives it (an event's `id:`, or its `position`). */
export const POSITION = /^\d{1,20}$/;
/** One to 64 type names, letters only, separated by commas. */
const TYPE_LIST = /^[A-Za-z]{1,64}(,[A-Za-z]{1,64}){0,63}$/;

/** The types of a `type=` that passed validation. */
export const typesOf = (value: string): PublicEventType[] => [...new Set(value.split(','))] as PublicEventType[];

/** `type=` is a comma-separated list of public event types; the message names the unknown ones. */
@ValidatorConstraint({ name: 'publicEventTypes' })
class PublicEventTypeList implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && TYPE_LIST.test(value) && value.split(',').every(isPublicEventType);
  }

  defaultMessage({ value }: ValidationArguments): string {
    if (typeof value !== 'string' || !TYPE_LIST.test(value)) {
      return 'type must be one or more public event types separated by commas, such as BackupTaken,BackupFailed';
    }
    // Only names of letters reach here: safe to quote back.
    const unknown = [...new Set(value.split(',').filter((type) => !isPublicEventType(type)))];
    return `type names ${unknown.length === 1 ? 'an unknown event type' : 'unknown event types'}: ${unknown.join(', ')} (GET /v1/event-types lists them)`;
  }
}

/** The feed's filters and starting point; every one optional. */
export class FeedQueryDto {
  @Optional()
  @Matches(POSITION, { message: 'after must be a position (the id of an event of this feed, or 0 for the whole log)' })
  after?: string;

  @Optional()
  @Validate(PublicEventTypeList)
  type?: string;

  @Optional()
  @Matches(/^[a-z0-9-]{1,64}$/, { message: 'app must be an app name' })
  app?: string;

  @Optional()
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, { message: 'addon must be an add-on id' })
  addon?: string;
}
