import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { finiteNumber, formatPath, id, jsonProblem, nonBlank, numberProblem, parseInput, safeString, stringProblem } from '../../src/util/input.js';

describe('the shared input rules', () => {
  it('words string and number problems once, for services and the GraphQL guard alike', () => {
    expect(stringProblem('a\u0000b', 10)).toBe('must not contain NUL characters');
    expect(stringProblem('abcdef', 5)).toBe('must be at most 5 characters');
    expect(stringProblem('abcde', 5)).toBeNull();
    for (const n of [Infinity, -Infinity, NaN, 1e101, -1.8e300]) expect(numberProblem(n), String(n)).toBe('must be a finite number within ±1e100');
    for (const n of [0, -1e100, 1e100, 5e-324]) expect(numberProblem(n), String(n)).toBeNull();
  });

  it('finds the first bad value of a JSON document and says where, without echoing a bad key', () => {
    expect(jsonProblem({ a: [1, { b: 'ok' }, { c: 'x\u0000' }] }, 100)).toEqual({ path: ['a', 2, 'c'], message: 'must not contain NUL characters' });
    expect(jsonProblem({ a: { 'k\u0000': 1 } }, 100)).toEqual({ path: ['a'], message: 'its keys must not contain NUL characters' });
    expect(jsonProblem({ lr: Infinity }, 100)).toEqual({ path: ['lr'], message: 'must be a finite number within ±1e100' });
    expect(jsonProblem({ s: 'x'.repeat(101) }, 100)?.message).toBe('must be at most 100 characters');
    expect(jsonProblem({ a: { b: [true, null, 3, 'fine'] } }, 100)).toBeNull();
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep]; // no stack overflow: the walk stops at the limit
    expect(jsonProblem(deep, 100)?.message).toBe('must not nest deeper than 32 levels');
  });

  it('names fields as callers write them and turns the first problem into BAD_INPUT', () => {
    expect(formatPath(['params', 3, 'value'])).toBe('params[3].value');
    expect(formatPath([0, 'a'])).toBe('[0].a');
    const schema = z.object({ id: id(), name: nonBlank(10), tags: z.array(z.object({ value: safeString(3) })), lr: finiteNumber() });
    const good = { id: 'r1', name: 'n', tags: [{ value: 'abc' }], lr: 0.1 };
    expect(parseInput(schema, good)).toEqual(good);
    expect(() => parseInput(schema, { ...good, tags: [{ value: 'ok' }, { value: 'a\u0000' }] })).toThrow(expect.objectContaining({ code: 'BAD_INPUT', message: 'tags[1].value: must not contain NUL characters', details: { field: 'tags[1].value' } }));
    expect(() => parseInput(schema, { ...good, name: '   ' })).toThrow('name: must not be empty');
    expect(() => parseInput(schema, { ...good, id: 'i'.repeat(201) })).toThrow('id: must be at most 200 characters');
    expect(() => parseInput(schema, { ...good, lr: Infinity })).toThrow('lr: must be a finite number within ±1e100');
  });
});
