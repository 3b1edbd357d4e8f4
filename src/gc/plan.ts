/**
 * What `tagfusion gc` may remove for good, decided from the rows alone (no I/O here). Deleted
 * items old enough are candidates; a candidate stays, with its reason, when removing it would
 * take something that must stay with it:
 * - a model version that an alias points at (deleting a version removes its aliases, so an
 *   alias here was set by hand after the delete, or by a client that knew better);
 * - a run that a model version was made from, unless that version goes too (a live version
 *   reads the run's files; a deleted one may still be restored, and would need them);
 * - a run with a child run that stays (removing the parent row would cascade to the child);
 * - a project that still holds runs (Default is never a candidate).
 */

export interface Kept {
  kind: 'run' | 'project' | 'modelVersion';
  id: string;
  name: string | null;
  reason: string;
}

export interface CandidateRun {
  id: string;
  name: string | null;
  parentId: string | null;
  projectId: number;
}

export interface CandidateVersion {
  id: string;
  /** `model/3` */
  label: string;
  aliases: string[];
}

/** A version made from (or holding an artifact of) a candidate run; `deleted` false: it is live. */
export interface VersionUse {
  versionId: string;
  label: string;
  deleted: boolean;
  runId: string;
}

export interface CandidateProject {
  id: number;
  name: string;
  /** every run it holds, deleted or not */
  runs: number;
}

export interface Plan {
  versions: CandidateVersion[];
  /** children before parents, so that each removal takes only its own rows */
  runs: CandidateRun[];
  projects: CandidateProject[];
  kept: Kept[];
}

export function planCollection(input: {
  runs: CandidateRun[];
  /** (id, parentId) of every run whose parent is a candidate */
  children: { id: string; parentId: string }[];
  versions: CandidateVersion[];
  uses: VersionUse[];
  projects: CandidateProject[];
}): Plan {
  const kept: Kept[] = [];
  const versions = input.versions.filter((v) => {
    if (!v.aliases.length) return true;
    kept.push({ kind: 'modelVersion', id: v.id, name: v.label, reason: `the alias${v.aliases.length === 1 ? '' : 'es'} ${v.aliases.join(', ')} point${v.aliases.length === 1 ? 's' : ''} at it` });
    return false;
  });
  const going = new Set(versions.map((v) => v.id));
  const runs = new Map(input.runs.map((r) => [r.id, r]));
  const keep = new Map<string, string>();
  for (const u of input.uses) {
    if (!runs.has(u.runId) || going.has(u.versionId) || keep.has(u.runId)) continue;
    keep.set(u.runId, u.deleted ? `the deleted model version ${u.label} was made from it and stays (it may be restored)` : `the live model version ${u.label} was made from it`);
  }
  // A parent goes only with all its children; repeat until no more parents are held back.
  for (let changed = true; changed; ) {
    changed = false;
    for (const c of input.children) {
      if (!runs.has(c.parentId) || keep.has(c.parentId)) continue;
      if (runs.has(c.id) && !keep.has(c.id)) continue;
      keep.set(c.parentId, `its child run ${c.id} stays`);
      changed = true;
    }
  }
  for (const [id, reason] of keep) kept.push({ kind: 'run', id, name: runs.get(id)!.name, reason });
  const collected = input.runs.filter((r) => !keep.has(r.id));
  const leaving = new Map<number, number>();
  for (const r of collected) leaving.set(r.projectId, (leaving.get(r.projectId) ?? 0) + 1);
  const projects = input.projects.filter((p) => {
    const staying = p.runs - (leaving.get(p.id) ?? 0);
    if (staying <= 0) return true;
    kept.push({ kind: 'project', id: String(p.id), name: p.name, reason: `${staying} of its runs stay${staying === 1 ? 's' : ''}` });
    return false;
  });
  return { versions, runs: leavesFirst(collected), projects, kept };
}

/** Deepest runs first: a run's children (all collected with it) are removed before it. */
function leavesFirst(runs: CandidateRun[]): CandidateRun[] {
  const byId = new Map(runs.map((r) => [r.id, r]));
  const depth = (r: CandidateRun): number => {
    let d = 0;
    for (let p = r.parentId; p && byId.has(p) && d <= byId.size; p = byId.get(p)!.parentId) d++;
    return d;
  };
  return runs.map((r) => ({ r, d: depth(r) })).sort((a, b) => b.d - a.d).map((x) => x.r);
}
