import { describe, expect, it } from 'vitest';
import { planCollection, type CandidateRun } from '../../src/gc/plan.js';

const run = (id: string, parentId: string | null = null, projectId = 1): CandidateRun => ({ id, name: id.toUpperCase(), parentId, projectId });

describe('what gc may remove', () => {
  it('keeps a version an alias points at, and the run it was made from', () => {
    const plan = planCollection({
      runs: [run('r1')],
      children: [],
      versions: [{ id: 'v1', label: 'm/1', aliases: ['champion'] }],
      uses: [{ versionId: 'v1', label: 'm/1', deleted: true, runId: 'r1' }],
      projects: [],
    });
    expect(plan.versions).toEqual([]);
    expect(plan.runs).toEqual([]);
    expect(plan.kept).toEqual([
      { kind: 'modelVersion', id: 'v1', name: 'm/1', reason: 'the alias champion points at it' },
      { kind: 'run', id: 'r1', name: 'R1', reason: 'the deleted model version m/1 was made from it and stays (it may be restored)' },
    ]);
  });

  it('removes a run whose versions all go, keeps one a live version uses', () => {
    const plan = planCollection({
      runs: [run('r1'), run('r2')],
      children: [],
      versions: [{ id: 'v1', label: 'm/1', aliases: [] }],
      uses: [
        { versionId: 'v1', label: 'm/1', deleted: true, runId: 'r1' },
        { versionId: 'v2', label: 'm/2', deleted: false, runId: 'r2' },
      ],
      projects: [],
    });
    expect(plan.versions.map((v) => v.id)).toEqual(['v1']);
    expect(plan.runs.map((r) => r.id)).toEqual(['r1']);
    expect(plan.kept).toEqual([{ kind: 'run', id: 'r2', name: 'R2', reason: 'the live model version m/2 was made from it' }]);
  });

  it('keeps every ancestor of a run that stays, and orders the rest children first', () => {
    const plan = planCollection({
      runs: [run('top'), run('mid', 'top'), run('leaf', 'mid'), run('alone'), run('a', null), run('a1', 'a')],
      children: [
        { id: 'mid', parentId: 'top' },
        { id: 'leaf', parentId: 'mid' },
        { id: 'live', parentId: 'leaf' },
        { id: 'a1', parentId: 'a' },
      ],
      versions: [],
      uses: [],
      projects: [],
    });
    expect(plan.kept.map((k) => [k.id, k.reason])).toEqual([
      ['leaf', 'its child run live stays'],
      ['mid', 'its child run leaf stays'],
      ['top', 'its child run mid stays'],
    ]);
    expect(plan.runs.map((r) => r.id)).toEqual(['a1', 'alone', 'a']);
  });

  it('removes a deleted project only when all its runs go', () => {
    const plan = planCollection({
      runs: [run('r1', null, 1), run('r2', null, 2)],
      children: [],
      versions: [],
      uses: [{ versionId: 'v', label: 'm/1', deleted: false, runId: 'r2' }],
      projects: [
        { id: 1, name: 'emptied', runs: 1 },
        { id: 2, name: 'held', runs: 1 },
        { id: 3, name: 'busy', runs: 3 },
      ],
    });
    expect(plan.projects.map((p) => p.name)).toEqual(['emptied']);
    expect(plan.kept.filter((k) => k.kind === 'project')).toEqual([
      { kind: 'project', id: '2', name: 'held', reason: '1 of its runs stays' },
      { kind: 'project', id: '3', name: 'busy', reason: '3 of its runs stay' },
    ]);
  });
});
