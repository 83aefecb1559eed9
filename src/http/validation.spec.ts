import { Type } from 'class-transformer';
import { IsInt, IsString, Min, ValidateNested } from 'class-validator';
import { createValidationPipe, ValidationFailedError } from './validation';

class PlanDto {
  @IsString()
  id!: string;
}

class NodeDto {
  @IsInt()
  @Min(1)
  size!: number;
}

class ProvisionDto {
  @IsString()
  name!: string;

  @ValidateNested()
  @Type(() => PlanDto)
  plan!: PlanDto;

  @ValidateNested({ each: true })
  @Type(() => NodeDto)
  nodes!: NodeDto[];
}

const pipe = createValidationPipe();
const validate = (value: unknown) => pipe.transform(value, { type: 'body', metatype: ProvisionDto });
const failure = async (value: unknown): Promise<ValidationFailedError> => {
  const error = await validate(value).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationFailedError);
  return error as ValidationFailedError;
};

describe('the global validation pipe', () => {
  it('hands the handler an instance of the DTO', async () => {
    const dto = await validate({ name: 'db', plan: { id: 'xs' }, nodes: [{ size: 1 }] });
    expect(dto).toBeInstanceOf(ProvisionDto);
    expect(dto.plan).toBeInstanceOf(PlanDto);
  });

  it('lists every failing field with its nested path and all its messages, unknown fields included', async () => {
    const error = await failure({ plan: { id: 3, tier: 'gold' }, nodes: [{ size: 1 }, { size: 0.5 }], color: 'red' });
    expect(error.code).toBe('VALIDATION.FAILED');
    expect(error.details.fields).toEqual(
      expect.arrayContaining([
        { field: 'name', messages: ['name must be a string'] },
        { field: 'plan.id', messages: ['id must be a string'] },
        { field: 'plan.tier', messages: ['property tier should not exist'] },
        { field: 'nodes.1.size', messages: expect.arrayContaining(['size must be an integer number', 'size must not be less than 1']) },
        { field: 'color', messages: ['property color should not exist'] },
      ]),
    );
    expect((error.details.fields as unknown[]).length).toBe(5);
  });

  it('never puts the values sent in the error', async () => {
    const error = await failure({ name: 42, plan: { id: 'sekret-value-1', extra: 'sekret-value-2' }, nodes: [] });
    const text = JSON.stringify({ message: error.message, details: error.details });
    expect(text).not.toContain('sekret');
    expect(text).not.toContain('42');
  });

  it('does not convert types: "3" is not a number in a JSON body', async () => {
    const error = await failure({ name: 'db', plan: { id: 'xs' }, nodes: [{ size: '3' }] });
    expect(error.details.fields).toEqual([{ field: 'nodes.0.size', messages: expect.any(Array) }]);
  });

  it('refuses a body that is not an object', async () => {
    await failure([{ name: 'db' }]);
    await failure('db');
  });

  it('caps the list for a hostile body, and says so', async () => {
    const body: Record<string, unknown> = { name: 'db', plan: { id: 'xs' }, nodes: [] };
    for (let i = 0; i < 500; i++) body[`unknown${i}`] = i;
    const error = await failure(body);
    expect(error.details.fields).toHaveLength(100);
    expect(error.details.truncated).toBe(true);
  });
});
