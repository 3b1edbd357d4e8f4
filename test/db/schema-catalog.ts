import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { get_dmmf } from '@prisma/prisma-schema-wasm';
import type { Database } from '../../src/db/database.js';
import { projectRoot } from '../../src/paths.js';

/**
 * Facts a schema implies, one string each ("column Run.status RunStatus not null", "index …"),
 * so that the Prisma schema and a migrated database can be compared as two sets.
 */

const SCALAR_TYPES: Record<string, string> = {
  String: 'text',
  Int: 'int4',
  BigInt: 'int8',
  Float: 'float8',
  Boolean: 'bool',
  DateTime: 'timestamp',
  Json: 'jsonb',
};

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'enum' | 'object';
  type: string;
  isList: boolean;
  isRequired: boolean;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
}

export function factsFromPrismaSchema(schemaPath = join(projectRoot, 'prisma', 'schema.prisma')): Set<string> {
  (globalThis as Record<string, unknown>).PRISMA_WASM_PANIC_REGISTRY ??= { set_message: () => {} };
  const schema = readFileSync(schemaPath, 'utf8');
  const dm = JSON.parse(get_dmmf(JSON.stringify({ prismaSchema: [['schema.prisma', schema]] }))).datamodel;
  const facts = new Set<string>();
  const tableOf = new Map<string, string>(dm.models.map((m: any) => [m.name, m.dbName ?? m.name]));
  const columnOf = (model: string, field: string) => {
    const f = dm.models.find((m: any) => m.name === model).fields.find((x: DmmfField) => x.name === field);
    return f.dbName ?? f.name;
  };
  for (const e of dm.enums) facts.add(`enum ${e.dbName ?? e.name} (${e.values.map((v: any) => v.dbName ?? v.name).join(', ')})`);
  for (const m of dm.models) {
    const table = tableOf.get(m.name)!;
    for (const f of m.fields as DmmfField[]) {
      if (f.kind === 'object') {
        if (f.relationFromFields?.length) {
          const target = tableOf.get(f.type)!;
          const from = f.relationFromFields.map((x) => columnOf(m.name, x)).join(', ');
          const to = f.relationToFields!.map((x) => columnOf(f.type, x)).join(', ');
          const onDelete = (f.relationOnDelete ?? (f.isRequired ? 'Restrict' : 'SetNull')).replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
          facts.add(`fk ${table}(${from}) -> ${target}(${to}) on delete ${onDelete}`);
        }
        continue;
      }
      const base = f.kind === 'enum' ? f.type : SCALAR_TYPES[f.type];
      const type = f.isList ? `${base}[]` : base;
      facts.add(`column ${table}.${f.dbName ?? f.name} ${type}${f.isRequired && !f.isList ? ' not null' : ''}`);
    }
  }
  for (const idx of dm.indexes) {
    const table = tableOf.get(idx.model)!;
    const cols = idx.fields.map((f: any) => columnOf(idx.model, f.name)).join(', ');
    const kind = idx.type === 'id' ? 'primary key' : idx.type === 'unique' ? 'unique index' : 'index';
    facts.add(`${kind} ${table}(${cols})`);
  }
  return facts;
}

export async function factsFromDatabase(db: Database): Promise<Set<string>> {
  const facts = new Set<string>();
  const enums = await db.query<{ name: string; labels: string[] }>(
    `SELECT t.typname::text AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
     FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname = 'public' GROUP BY t.typname`,
  );
  for (const e of enums) facts.add(`enum ${e.name} (${e.labels.join(', ')})`);
  const columns = await db.query<{ table_name: string; column_name: string; udt_name: string; is_nullable: string }>(
    `SELECT table_name, column_name, udt_name, is_nullable FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`,
  );
  for (const c of columns) {
    const type = c.udt_name.startsWith('_') ? `${c.udt_name.slice(1)}[]` : c.udt_name;
    facts.add(`column ${c.table_name}.${c.column_name} ${type}${c.is_nullable === 'NO' && !type.endsWith('[]') ? ' not null' : ''}`);
  }
  const indexes = await db.query<{ table: string; columns: string[]; is_unique: boolean; is_primary: boolean }>(
    `SELECT t.relname::text AS table, ix.indisunique AS is_unique, ix.indisprimary AS is_primary,
            array(SELECT a.attname::text FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, ord)
                  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord) AS columns
     FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = 'public' AND t.relname <> '_prisma_migrations'`,
  );
  for (const i of indexes) {
    facts.add(`${i.is_primary ? 'primary key' : i.is_unique ? 'unique index' : 'index'} ${i.table}(${i.columns.join(', ')})`);
  }
  const fks = await db.query<{ table: string; target: string; from: string[]; to: string[]; on_delete: string }>(
    `SELECT c.conrelid::regclass::text AS table, c.confrelid::regclass::text AS target, c.confdeltype AS on_delete,
            array(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o) AS from,
            array(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.o) AS to
     FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.contype = 'f' AND n.nspname = 'public'`,
  );
  const actions: Record<string, string> = { a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' };
  for (const f of fks) {
    const unquote = (s: string) => s.replace(/^"|"$/g, '');
    facts.add(`fk ${unquote(f.table)}(${f.from.join(', ')}) -> ${unquote(f.target)}(${f.to.join(', ')}) on delete ${actions[f.on_delete]}`);
  }
  return facts;
}
