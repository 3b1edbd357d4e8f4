import { isEnumType, isInputObjectType, isInterfaceType, isObjectType, lexicographicSortSchema, printSchema } from 'graphql';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { describe, expect, it } from 'vitest';
import { schemaFromSources } from '../../scripts/schema-diff.mjs';
import { buildSchema, loadTypeDefs } from '../../src/resolvers/index.js';

/** Every public name but introspection's (`__schema`, `__Type`…): types, fields, arguments, enum values. */
function publicNames(): string[] {
  const names: string[] = [];
  for (const type of Object.values(buildSchema().getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    names.push(type.name);
    if (isEnumType(type)) names.push(...type.getValues().map((v) => `${type.name}.${v.name}`));
    if (isInputObjectType(type)) names.push(...Object.keys(type.getFields()).map((f) => `${type.name}.${f}`));
    if (isObjectType(type) || isInterfaceType(type))
      for (const field of Object.values(type.getFields()))
        names.push(`${type.name}.${field.name}`, ...field.args.map((a) => `${type.name}.${field.name}.${a.name}`));
  }
  return names;
}

describe('the public schema', () => {
  it('has no placeholder names (a leading underscore, like the old `_noop` roots)', () => {
    const names = publicNames();
    expect(names).toContain('Mutation.startTraining');
    expect(names.filter((n) => n.split('.').some((part) => part.startsWith('_')))).toEqual([]);
  });

  // The server merges the files with graphql-tools (its scalars' descriptions then come from
  // graphql-scalars); the script with graphql-js alone. The SDL they read must mean the same.
  it('is what check:schema compares: the script merges the SDL files as the server does', () => {
    const sdl = (s: ReturnType<typeof buildSchema>) => printSchema(lexicographicSortSchema(s));
    expect(sdl(schemaFromSources(loadTypeDefs()))).toBe(sdl(makeExecutableSchema({ typeDefs: loadTypeDefs() })));
  });
});
