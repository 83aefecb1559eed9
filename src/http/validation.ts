import { ValidationPipe } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import { DomainError } from '../shared/domain/domain-error';

/** One failing field: its path in the body (`plan.id`, `nodes.0.name`) and what is wrong with it. */
export interface FieldError {
  field: string;
  messages: string[];
}

/** Past this many fields the answer says so instead of growing with a hostile body. */
const MAX_FIELDS = 100;
const MAX_PATH = 256;

/**
 * `VALIDATION.FAILED` (400) with every failing field in `details.fields`. Fields are a
 * list, not an object keyed by path: a path such as `__proto__` must survive into JSON.
 * Messages name fields and rules, never the values sent.
 */
export class ValidationFailedError extends DomainError {
  constructor(fields: FieldError[], truncated = false) {
    const names = fields.slice(0, 10).map((f) => f.field);
    super(
      'VALIDATION.FAILED',
      `The request has invalid fields: ${names.join(', ')}${fields.length > names.length ? ', …' : ''}. See details.fields.`,
      truncated ? { fields, truncated: true } : { fields },
    );
  }
}

/** class-validator's tree as a flat list of paths, depth first, in the order found. */
export function flattenValidationErrors(errors: readonly ValidationError[]): { fields: FieldError[]; truncated: boolean } {
  const fields: FieldError[] = [];
  let truncated = false;
  // Iterative: the depth of the tree follows the body's, which the caller chose.
  const pending: Array<{ error: ValidationError; parent: string }> = [...errors].reverse().map((error) => ({ error, parent: '' }));
  while (pending.length > 0) {
    const { error, parent } = pending.pop()!;
    const property = String(error.property ?? '');
    const path = (parent && property ? `${parent}.${property}` : parent || property).slice(0, MAX_PATH);
    const messages = Object.values(error.constraints ?? {});
    if (messages.length > 0) {
      if (fields.length >= MAX_FIELDS) {
        truncated = true;
        break;
      }
      // An error on the body itself (not an object, say) has no property name.
      fields.push({ field: path || '(body)', messages });
    }
    const children = error.children ?? [];
    for (let i = children.length - 1; i >= 0; i--) pending.push({ error: children[i], parent: path });
  }
  return { fields, truncated };
}

/**
 * The global pipe: a DTO declares every field it accepts. Unknown fields are refused (not
 * dropped: a client with a typo must learn it), `transform` hands handlers class
 * instances, and `forbidUnknownValues` refuses bodies that are not objects of the DTO.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    // Types are what the client sent: "3" is not 3 in a JSON body.
    transformOptions: { enableImplicitConversion: false },
    // Errors never carry the values or the object they were found in.
    validationError: { target: false, value: false },
    exceptionFactory: (errors: ValidationError[]) => {
      const { fields, truncated } = flattenValidationErrors(errors);
      return new ValidationFailedError(fields, truncated);
    },
  });
}
