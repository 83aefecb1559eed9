import { applyDecorators } from '@nestjs/common';
import { IsInt, Max, Min } from 'class-validator';

/** The largest page a list answers. */
export const MAX_PAGE = 500;

/** A page size, `limit`: a whole number from 1 to MAX_PAGE (query strings and GraphQL arguments alike). */
export const PageLimit = (): PropertyDecorator => {
  const message = `limit must be a whole number from 1 to ${MAX_PAGE}`;
  return applyDecorators(IsInt({ message }), Min(1, { message }), Max(MAX_PAGE, { message }));
};
