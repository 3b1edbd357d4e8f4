import { describe, expect, it } from 'vitest';
import { compareSchemas } from '../../scripts/schema-diff.mjs';

// Two files per side, as src/schema splits the roots across domain files with `extend type`.
const BASE = [
  'type Query { run(id: ID!): Run }\ntype Mutation\n',
  `extend type Mutation {
    deleteRun(id: ID!): Boolean!
    renameRun(id: ID!, name: String!, force: Boolean @deprecated(reason: "always forced")): Run
    oldStop(id: ID!): Boolean @deprecated(reason: "use cancelRun")
  }
  type Run { id: ID! name: String! status: Status! }
  enum Status { RUNNING FINISHED LOST @deprecated(reason: "never set") }`,
];

const blocking = async (head: string[]) => (await compareSchemas(BASE, head)).filter((c) => c.blocking).map((c) => c.path);

describe('scripts/schema-diff.mjs (npm run check:schema)', () => {
  it('finds nothing to block between identical schemas', async () => {
    expect(await compareSchemas(BASE, BASE)).toEqual([]);
  });

  it('lets additions through: a field, an optional argument, an enum value', async () => {
    const head = [BASE[0].replace('run(id: ID!)', 'run(id: ID!, at: String)'), BASE[1].replace('name: String! status', 'name: String! note: String status')];
    const changes = await compareSchemas(BASE, head);
    expect(changes.map((c) => c.path).sort()).toEqual(['Query.run.at', 'Run.note']);
    expect(changes.every((c) => !c.blocking && c.level !== 'BREAKING')).toBe(true);
  });

  it('blocks removing or retyping a field that was not deprecated', async () => {
    expect(await blocking([BASE[0], BASE[1].replace('deleteRun(id: ID!): Boolean!\n', '')])).toEqual(['Mutation.deleteRun']);
    expect(await blocking([BASE[0], BASE[1].replace('name: String! status', 'name: Int! status')])).toEqual(['Run.name']);
    expect(await blocking([BASE[0], BASE[1].replace('FINISHED ', '')])).toEqual(['Status.FINISHED']);
    expect(await blocking([BASE[0], BASE[1].replace('id: ID!, name: String!', 'id: ID!, name: String!, reason: String!')])).toEqual(['Mutation.renameRun.reason']);
  });

  it('lets a field, argument or enum value go once the base marked it @deprecated', async () => {
    const head = [BASE[0], BASE[1].replace(/\s*oldStop[^\n]*/, '').replace(/, force[^)]*\)\)/, ')').replace(/ LOST[^}]*/, ' ')];
    const changes = await compareSchemas(BASE, head);
    expect(changes.filter((c) => c.level === 'BREAKING').map((c) => c.path).sort()).toEqual(['Mutation.oldStop', 'Mutation.renameRun.force', 'Status.LOST']);
    expect(changes.filter((c) => c.blocking)).toEqual([]);
  });

  it('blocks removing a whole type, which cannot be deprecated', async () => {
    const changes = await compareSchemas(['type Query { a: Int }', 'type Old { x: Int @deprecated }'], ['type Query { a: Int }']);
    expect(changes.filter((c) => c.blocking).map((c) => c.path)).toEqual(['Old']);
  });
});
