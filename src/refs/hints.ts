/**
 * The known names to suggest for an unknown one: those that look alike (one contains the other,
 * they start alike, or are a few edits apart); every name when none does and there are few.
 * Names only: they are what the user may type, and a `datasets` query lists them anyway.
 */
export function similarNames(wanted: string, known: readonly string[], max = 8): string[] {
  const w = wanted.toLowerCase();
  const unique = [...new Set(known)];
  const near = unique.filter((n) => {
    const k = n.toLowerCase();
    return k.includes(w) || w.includes(k) || commonPrefix(k, w) >= Math.min(4, w.length) || editDistance(k, w) <= Math.max(2, Math.floor(w.length / 4));
  });
  return (near.length ? near : unique.length <= max ? unique : []).slice(0, max);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
