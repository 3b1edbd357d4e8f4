import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** A graphql-ws client to the test server, collecting one subscription's events. */
export function subscribe(httpUrl: string, query: string, variables: Record<string, unknown> = {}, connectionParams?: Record<string, unknown>) {
  const client: Client = createClient({ url: httpUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, connectionParams });
  const events: any[] = [];
  const errors: unknown[] = [];
  const waiters: { test: (events: any[]) => boolean; resolve: () => void }[] = [];
  const ready = new Promise<void>((resolve) => client.on('connected', () => resolve()));
  /** the close code and reason when the server closes the connection (4401/4403: refused) */
  const closed = new Promise<{ code: number; reason: string }>((resolve) => client.on('closed', (e) => resolve(e as { code: number; reason: string })));
  const dispose = client.subscribe(
    { query, variables },
    {
      next: (value) => {
        if (value.errors) errors.push(...value.errors);
        else events.push(value.data);
        for (const w of [...waiters]) if (w.test(events)) w.resolve();
      },
      error: (err) => {
        errors.push(err);
        for (const w of [...waiters]) w.resolve();
      },
      complete: () => {},
    },
  );
  return {
    events,
    errors,
    ready,
    closed,
    /** resolves when `test` holds for the events so far (or an error arrives), or rejects after `ms` */
    until(test: (events: any[]) => boolean, ms = 30_000): Promise<void> {
      if (test(events) || errors.length) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out; events so far: ${JSON.stringify(events).slice(0, 500)}`)), ms);
        waiters.push({ test, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    async close() {
      dispose();
      await client.dispose();
    },
  };
}
