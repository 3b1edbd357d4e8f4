/** How far back the rate looks: recent enough to follow a change of pace, long enough to be steady. */
const WINDOW_MS = 30_000;
/** No estimate from less than this much watching: the first steps (cached parts, start-up) mislead. */
const MIN_SPAN_MS = 2_000;

/** Progress messages that count things say "<done> of <total> <unit>" (e.g. "1200 of 5000 images"). */
const COUNT = /(\d+) of (\d+) ([a-z]+)/i;

interface Sample {
  at: number;
  fraction: number;
  done?: number;
}

export interface Estimate {
  /** things per second, when the message counts things */
  rate?: { perSecond: number; unit: string };
  /** seconds until the job is done at the recent pace */
  secondsLeft?: number;
}

/**
 * Rate and time left of a job from its progress reports, over the last WINDOW_MS. The time left
 * follows the job's overall fraction; the rate, the count in its messages. A fraction that goes
 * back or a count of something else (the next variant of an extraction) starts the window again.
 */
export class ProgressRate {
  private samples: Sample[] = [];
  private counting: string | undefined;

  update(at: number, fraction: number, message: string): Estimate {
    const count = COUNT.exec(message);
    const counting = count ? `${count[2]} ${count[3]}` : undefined;
    const last = this.samples.at(-1);
    if (last && (fraction < last.fraction || counting !== this.counting)) this.samples = [];
    this.counting = counting;
    this.samples.push({ at, fraction, done: count ? Number(count[1]) : undefined });
    while (this.samples.length > 2 && this.samples[0].at < at - WINDOW_MS) this.samples.shift();
    const first = this.samples[0];
    const span = (at - first.at) / 1000;
    if (span * 1000 < MIN_SPAN_MS) return {};
    const out: Estimate = {};
    const perSecond = (fraction - first.fraction) / span;
    if (perSecond > 0) out.secondsLeft = (1 - fraction) / perSecond;
    if (count && first.done !== undefined) out.rate = { perSecond: (Number(count[1]) - first.done) / span, unit: count[3] };
    return out;
  }
}

/** 75 → "1m 15s", 4000 → "1h 07m". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** "3.4 images/s · 18m 20s left", or '' before there is an estimate. */
export function formatEstimate(e: Estimate): string {
  const parts: string[] = [];
  if (e.rate) parts.push(`${e.rate.perSecond < 10 ? e.rate.perSecond.toFixed(1) : Math.round(e.rate.perSecond)} ${e.rate.unit}/s`);
  if (e.secondsLeft !== undefined && Number.isFinite(e.secondsLeft)) parts.push(`${formatDuration(e.secondsLeft)} left`);
  return parts.join(' · ');
}
