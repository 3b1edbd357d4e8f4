import { writeFile } from 'node:fs/promises';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { AppError } from '../../errors.js';

/** A job as the CLI reads it back from the server. */
export interface RemoteJob {
  id: string;
  status: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  progress: number;
  message: string | null;
  error: string | null;
  result: unknown;
}

const JOB_FIELDS = 'id status progress message error result';
const FINISHED = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/**
 * A running tagfusion server's GraphQL API, as the CLI uses it: queries and mutations over HTTP,
 * job progress over graphql-ws. With tokens on, TAGFUSION_TOKEN is sent as a Bearer token (and
 * as the socket's `authorization` parameter); open mode needs none. A GraphQL error comes back as
 * the AppError the server reported (its code and safe message), so the CLI prints it as it would
 * print the in-process one.
 */
export class RemoteApi {
  constructor(
    readonly url: string,
    private readonly token = process.env.TAGFUSION_TOKEN || undefined,
  ) {}

  private get authorization() {
    return this.token ? `Bearer ${this.token}` : undefined;
  }

  async request<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.authorization ? { authorization: this.authorization } : {}) },
        body: JSON.stringify({ query, variables }),
      });
    } catch {
      throw new AppError('SERVER_UNREACHABLE', `The tagfusion server at ${this.url} does not answer; is it still running?`);
    }
    const body = (await res.json().catch(() => ({}))) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
    const first = body.errors?.[0];
    if (first) throw new AppError(first.extensions?.code ?? 'INTERNAL', first.message);
    if (!res.ok || !body.data) throw new AppError('SERVER_ERROR', `The tagfusion server at ${this.url} answered HTTP ${res.status}.`);
    return body.data;
  }

  /**
   * Follows a job until it finishes, calling `onProgress` with each event, and returns it.
   */
  async waitForJob(jobId: string, onProgress: (progress: number, message: string) => void): Promise<RemoteJob> {
    const client = this.socket();
    try {
      const events = client.iterate<{ jobEvents: { status: string; progress: number; message: string | null } }>({
        query: `subscription($id: ID!) { jobEvents(jobId: $id) { status progress message } }`,
        variables: { id: jobId },
      });
      const finished = new Promise<void>((resolve, reject) => {
        void (async () => {
          try {
            for await (const e of events) {
              const ev = e.data?.jobEvents;
              if (!ev) continue;
              onProgress(ev.progress, ev.message ?? '');
              if (FINISHED.has(ev.status)) break;
            }
            resolve();
          } catch (err) {
            reject(err);
          }
        })();
      });
      finished.catch(() => undefined); // a lost socket leaves the polling below to notice the finish
      // The events draw progress; reading the job now and then catches a finish published before
      // the server had registered the subscription.
      let job = await this.job(jobId);
      while (!FINISHED.has(job.status)) {
        await Promise.race([finished.catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
        job = await this.job(jobId);
      }
      await events.return?.(undefined);
      return job;
    } finally {
      await client.dispose();
    }
  }

  private socket() {
    return createClient({
      url: this.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      retryAttempts: 3,
      lazy: false,
      connectionParams: this.authorization ? { authorization: this.authorization } : undefined,
    });
  }

  /**
   * Calls `onData` with each event of a subscription until the returned stop is called. For
   * progress only: a lost socket ends the events quietly, and the caller's wait notices the finish.
   */
  subscribe<T>(query: string, variables: Record<string, unknown>, onData: (data: T) => void): () => Promise<void> {
    const client = this.socket();
    const events = client.iterate<T>({ query, variables });
    const done = (async () => {
      try {
        for await (const e of events) if (e.data) onData(e.data);
      } catch {
        // progress stops being drawn; the outcome comes from the wait
      }
    })();
    return async () => {
      await events.return?.(undefined);
      await client.dispose();
      await done;
    };
  }

  /**
   * GETs a route the server serves (a submission, an export) with the token; a refusal comes back
   * as the AppError the route answered (`{ error: { code, message } }`), else as its HTTP status.
   */
  async get(path: string): Promise<Response> {
    const res = await fetch(new URL(path, this.url), { headers: this.authorization ? { authorization: this.authorization } : {} }).catch(() => {
      throw new AppError('SERVER_UNREACHABLE', `The tagfusion server at ${this.url} does not answer; is it still running?`);
    });
    if (res.ok) return res;
    const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
    if (body.error?.code && body.error.message) throw new AppError(body.error.code, body.error.message);
    throw new AppError('SERVER_ERROR', `The tagfusion server answered HTTP ${res.status} for ${path.split('?')[0]}.`);
  }

  /** Saves a file the server serves at `path` (e.g. a submission's URL) to `file`. */
  async download(path: string, file: string): Promise<void> {
    const res = await this.get(path);
    await writeFile(file, Buffer.from(await res.arrayBuffer()));
  }

  async job(id: string): Promise<RemoteJob> {
    const { job } = await this.request<{ job: RemoteJob | null }>(`query($id: ID!) { job(id: $id) { ${JOB_FIELDS} } }`, { id });
    if (!job) throw new AppError('JOB_NOT_FOUND', `Job ${id} does not exist.`);
    return job;
  }
}
