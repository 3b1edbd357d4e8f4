import { formatEstimate, ProgressRate } from './progress-rate.js';

/** Off a terminal (a log file, CI), one line at most this often: a long job must not flood it. */
const PLAIN_INTERVAL_MS = 5_000;

/**
 * A one-line progress bar for terminals, with the rate and time left; plain lines at most every
 * PLAIN_INTERVAL_MS when the stream is not a TTY (and the first and the last one always).
 */
export class ProgressLine {
  private readonly rate = new ProgressRate();
  private lastPlainAt: number | undefined;
  private lastPct = -1;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly now: () => number = Date.now,
  ) {}

  update(fraction: number, message: string): void {
    const at = this.now();
    const pct = Math.round(fraction * 100);
    const estimate = formatEstimate(this.rate.update(at, fraction, message));
    const text = [message, estimate].filter(Boolean).join(' · ');
    if (this.stream.isTTY) {
      const width = 30;
      const filled = Math.round(fraction * width);
      const room = Math.max(20, (this.stream.columns ?? 120) - width - 8);
      this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${text.slice(0, room).padEnd(room)}`);
      return;
    }
    const due = this.lastPlainAt === undefined || at - this.lastPlainAt >= PLAIN_INTERVAL_MS || (pct === 100 && this.lastPct !== 100);
    if (!due) return;
    this.lastPlainAt = at;
    this.lastPct = pct;
    this.stream.write(`${pct}% ${text}\n`);
  }

  finish(): void {
    if (this.stream.isTTY) this.stream.write('\n');
  }
}
