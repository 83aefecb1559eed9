import { Injectable, PipeTransform } from '@nestjs/common';
import { ValidationFailedError } from './validation';

/**
 * `@Body(NoBodyPipe)` on a write that takes no body: every field sent is unknown, so it is
 * refused (400) like an unknown field anywhere else, instead of being silently ignored.
 */
@Injectable()
export class NoBodyPipe implements PipeTransform {
  transform(value: unknown): undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'object' && !Array.isArray(value)) {
      const fields = Object.keys(value);
      if (fields.length === 0) return undefined;
      throw new ValidationFailedError(fields.map((field) => ({ field, messages: [`property ${field} should not exist`] })));
    }
    throw new ValidationFailedError([{ field: '(body)', messages: ['this call takes no body'] }]);
  }
}
