import { seededRandom, shuffleInPlace } from '../util/random.js';

/**
 * Seeded, stratified train/validation split for multi-label data. Each sample is stratified by
 * its rarest label, so that rare classes reach the validation split in proportion (a random
 * split of 5,000 samples can leave a 2 % class with no validation example). Groups are taken
 * rarest first, and the fractional share carried over, so the total matches `valFraction`.
 * Returns, for each sample index, whether it belongs to validation.
 */
export function stratifiedSplit(labels: number[][], valFraction: number, seed: number): boolean[] {
  const counts = new Map<number, number>();
  for (const ls of labels) for (const l of ls) counts.set(l, (counts.get(l) ?? 0) + 1);
  const groups = new Map<number, number[]>();
  labels.forEach((ls, i) => {
    const rarest = ls.reduce((best, l) => {
      const c = counts.get(l)!;
      const b = counts.get(best)!;
      return c < b || (c === b && l < best) ? l : best;
    }, ls[0] ?? -1);
    if (!groups.has(rarest)) groups.set(rarest, []);
    groups.get(rarest)!.push(i);
  });
  const order = [...groups.keys()].sort((a, b) => (counts.get(a) ?? 0) - (counts.get(b) ?? 0) || a - b);
  const random = seededRandom(seed);
  const isVal = new Array<boolean>(labels.length).fill(false);
  let carry = 0;
  for (const key of order) {
    const members = shuffleInPlace([...groups.get(key)!], random);
    const want = members.length * valFraction + carry;
    const take = Math.min(members.length, Math.floor(want + 1e-9));
    carry = want - take;
    for (let i = 0; i < take; i++) isVal[members[i]] = true;
  }
  return isVal;
}
