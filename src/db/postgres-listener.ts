import pg from 'pg';

type Callback = (payload: string) => void;

/**
 * One dedicated connection for LISTEN. Pooled connections cannot listen (a notification goes to
 * the session that asked), and the connection is re-opened after a server restart.
 */
export class PostgresListener {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private readonly callbacks = new Map<string, Set<Callback>>();
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly url: string) {}

  async listen(channel: string, callback: Callback): Promise<() => Promise<void>> {
    let set = this.callbacks.get(channel);
    const fresh = !set;
    if (!set) this.callbacks.set(channel, (set = new Set()));
    set.add(callback);
    const client = await this.connect();
    if (fresh) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    return async () => {
      set.delete(callback);
    };
  }

  private connect(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = new pg.Client({ connectionString: this.url });
      client.on('notification', (msg) => {
        for (const cb of this.callbacks.get(msg.channel) ?? []) cb(msg.payload ?? '');
      });
      client.on('error', () => this.reconnectSoon());
      client.on('end', () => this.reconnectSoon());
      try {
        await client.connect();
        for (const channel of this.callbacks.keys()) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
        this.client = client;
        return client;
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }

  private reconnectSoon(): void {
    if (this.closed) return;
    this.client = undefined;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.connect().catch(() => this.reconnectSoon());
    }, 1000);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }
}
