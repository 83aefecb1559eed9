import { ValidateIf } from 'class-validator';

/**
 * An optional field: absent is fine, but a value sent, `null` included, must pass the
 * field's rules (class-validator's IsOptional would let `null` through as "absent").
 */
export const Optional = (): PropertyDecorator => ValidateIf((_object: object, value: unknown) => value !== undefined);
