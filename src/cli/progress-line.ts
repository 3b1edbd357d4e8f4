/** A one-line progress bar for terminals; plain lines when the stream is not a TTY. */
export class ProgressLine {
  private lastPrinted = -1;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  update(fraction: number, message: string): void {
    const pct = Math.round(fraction * 100);
    if (this.stream.isTTY) {
      const width = 30;
      const filled = Math.round(fraction * width);
      this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${message.slice(0, 60).padEnd(60)}`);
    } else if (pct >= this.lastPrinted + 10 || (pct === 100 && this.lastPrinted !== 100)) {
      this.lastPrinted = pct;
      this.stream.write(`${pct}% ${message}\n`);
    }
  }

  finish(): void {
    if (this.stream.isTTY) this.stream.write('\n');
  }
}
