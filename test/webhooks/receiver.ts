import { createServer } from 'node:http';
import { pino } from 'pino';
import type { App } from '../../src/app.js';
import { poll } from '../support/process.js';

/** A real HTTP receiver on 127.0.0.1 that answers `answer` (status and headers) and counts requests. */
export async function receiver(answer: { status: number; headers?: Record<string, string> } = { status: 204 }) {
  const received: { url: string; host: string; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ url: req.url ?? '', host: req.headers.host ?? '', body });
      res.writeHead(answer.status, answer.headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { origin: `http://127.0.0.1:${port}`, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A logger that keeps every line, at every level, to prove what never reaches a log. */
export function capturingLogger() {
  const lines: string[] = [];
  return { lines, logger: pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) }) };
}

/** Every row a delivery leaves (jobs, deliveries, attempts, audit), as one string to search. */
export async function storedRows(app: App): Promise<string> {
  const p = app.db.prisma;
  const audit = (await p.auditLog.findMany()).map((a) => ({ ...a, id: String(a.id) }));
  return JSON.stringify([await p.job.findMany(), await p.webhookDelivery.findMany(), await p.webhookAttempt.findMany(), audit]);
}

/** Waits until the delivery row satisfies `until` and returns it with its attempts. */
export async function deliveryWhen(app: App, id: string, until: (d: { status: string; attempts: number }) => boolean, what: string) {
  const found = await poll(() => app.db.prisma.webhookDelivery.findUnique({ where: { id }, include: { attemptLog: true } }), (d) => Boolean(d && until(d)), 30_000, `delivery ${id} ${what}`);
  return found!;
}

/** Waits until the delivery has a final status (SUCCEEDED or FAILED). */
export const finishedDelivery = (app: App, id: string) => deliveryWhen(app, id, (d) => d.status === 'SUCCEEDED' || d.status === 'FAILED', 'to finish');
