/** A trial's objective per epoch (epoch → value), as recorded so far. */
export type Curve = Map<number, number>;

export interface MedianRule {
  /** epochs a trial runs before it can be stopped */
  graceEpochs: number;
  /** other trials that must have reached the epoch for their median to count */
  minTrials: number;
  /** true when lower is better (a loss) */
  minimise: boolean;
}

/** Best value of a curve up to and including `epoch`, or undefined when it has not reached it. */
function bestUpTo(curve: Curve, epoch: number, minimise: boolean): number | undefined {
  if (!curve.has(epoch)) return undefined;
  let best: number | undefined;
  for (const [e, v] of curve) if (e <= epoch && (best === undefined || (minimise ? v < best : v > best))) best = v;
  return best;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The median stopping rule (Golovin et al., Google Vizier): stop a trial at its latest epoch e
 * when its best value so far is worse than the median of the other trials' best values up to
 * the same epoch. Returns why it stops, or null to let it run.
 */
export function medianStop(trial: Curve, others: Curve[], rule: MedianRule): { epoch: number; value: number; median: number } | null {
  if (!trial.size) return null;
  const epoch = Math.max(...trial.keys());
  // Epochs are numbered from 1: epoch e is the e-th one the trial ran.
  if (epoch < rule.graceEpochs) return null;
  const peers = others.map((c) => bestUpTo(c, epoch, rule.minimise)).filter((v): v is number => v !== undefined);
  if (peers.length < rule.minTrials) return null;
  const value = bestUpTo(trial, epoch, rule.minimise)!;
  const m = median(peers);
  return (rule.minimise ? value > m : value < m) ? { epoch, value, median: m } : null;
}
