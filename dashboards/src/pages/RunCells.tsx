/**
 * Cells of the runs table that need more than a value: a name that wraps rather than being cut
 * (sweep trials are named by their params, which differ only at the end), and a metric that a
 * sweep's or ablation's own row takes from its best trial, since the parent logs no metrics.
 */
import { fmt } from '../ui';

export interface Summary {
  name: string;
  split: string;
  last: number;
  min: number;
  max: number;
}

export interface ExperimentBestRow {
  best: { value: number; run: { id: string; name: string | null; summaries: Summary[] } } | null;
}

export type Agg = 'LAST' | 'MIN' | 'MAX';

const pick = (s: Summary, agg: Agg) => (agg === 'LAST' ? s.last : agg === 'MIN' ? s.min : s.max);

export function MetricCell({ summaries, experiment, split, name, agg }: { summaries: Summary[]; experiment: ExperimentBestRow | null; split: string; name: string; agg: Agg }) {
  const own = summaries.find((x) => x.name === name && x.split === split);
  if (own) return <div role="cell" className="num">{fmt(pick(own, agg))}</div>;
  const best = experiment?.best?.run;
  const theirs = best?.summaries.find((x) => x.name === name && x.split === split);
  if (!best || !theirs) return <div role="cell" className="num">—</div>;
  return (
    <div role="cell" className="num from-best" title={`best trial: ${best.name ?? best.id}`} data-testid="best-child-metric">
      <a href={`#/runs/${best.id}`} aria-label={`${fmt(pick(theirs, agg))}, from the best trial ${best.name ?? best.id}`}>
        <span className="star" aria-hidden>
          ★
        </span>
        {fmt(pick(theirs, agg))}
      </a>
    </div>
  );
}

/** The run's name on up to two lines, the whole of it in the tooltip. */
export function NameCell({ id, name }: { id: string; name: string | null }) {
  return (
    <div role="cell" className="run-name" title={name ?? id}>
      <a href={`#/runs/${id}`}>{name ?? id.slice(0, 8)}</a>
    </div>
  );
}
