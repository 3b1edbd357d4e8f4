/**
 * The UI's only link to the server: GraphQL queries and mutations over HTTP (plain fetch) and
 * subscriptions over graphql-ws, both on /graphql of the page's own origin.
 */
import { createClient, type Client } from 'graphql-ws';
import { useCallback, useEffect, useRef, useState } from 'react';

export class ApiError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

const endpoint = new URL('graphql', new URL('/', location.href)).toString();

const TOKEN_KEY = 'tagfusion.token';
/** The API token this browser sends (servers in required-auth mode need one; open ones ignore it). */
export const apiToken = () => localStorage.getItem(TOKEN_KEY) ?? '';
export function setApiToken(token: string): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}
const authHeaders = (): Record<string, string> => (apiToken() ? { authorization: `Bearer ${apiToken()}` } : {});

export async function gql<T = any>(query: string, variables?: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json', ...authHeaders() }, body: JSON.stringify({ query, variables }), signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError('The server cannot be reached. Check that `tagfusion serve` is running, then retry.', 'NETWORK');
  }
  let body: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  try {
    body = await res.json();
  } catch {
    throw new ApiError(`The server answered ${res.status} ${res.statusText} without GraphQL.`, 'HTTP');
  }
  if (body.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED') {
    throw new ApiError('This server needs an API token. Ask an admin for one (tagfusion token create --name you --role viewer) and set it with the Token button at the top right.', 'UNAUTHENTICATED');
  }
  if (body.errors?.length) throw new ApiError(body.errors.map((e) => e.message).join('; '), body.errors[0].extensions?.code);
  if (!body.data) throw new ApiError('The server answered without data.');
  return body.data;
}

let wsClient: Client | undefined;
function ws(): Client {
  wsClient ??= createClient({ url: endpoint.replace(/^http/, 'ws'), retryAttempts: Infinity, lazy: true, keepAlive: 15_000, connectionParams: authHeaders });
  return wsClient;
}

/** Calls `onData` for every event of a subscription until the returned function is called. */
export function subscribe<T = any>(query: string, variables: Record<string, unknown>, onData: (data: T) => void, onError?: (e: Error) => void): () => void {
  return ws().subscribe<T>(
    { query, variables },
    {
      next: (msg) => msg.data && onData(msg.data as T),
      error: (e) => onError?.(e instanceof Error ? e : new Error(Array.isArray(e) ? e.map((x: any) => x.message).join('; ') : 'subscription closed')),
      complete: () => undefined,
    },
  );
}

export interface QueryState<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
  setData: (fn: (d: T | undefined) => T | undefined) => void;
}

/** Runs a query when it or its variables change; keeps the previous data while reloading. */
export function useQuery<T = any>(query: string | null, variables?: Record<string, unknown>): QueryState<T> {
  const [data, setDataState] = useState<T>();
  const [error, setError] = useState<Error>();
  const [loading, setLoading] = useState(query != null);
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(variables ?? {});
  useEffect(() => {
    if (query == null) return;
    const ctrl = new AbortController();
    setLoading(true);
    gql<T>(query, JSON.parse(key), ctrl.signal).then(
      (d) => {
        setDataState(d);
        setError(undefined);
        setLoading(false);
      },
      (e) => {
        if (ctrl.signal.aborted) return;
        setError(e);
        setLoading(false);
      },
    );
    return () => ctrl.abort();
  }, [query, key, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const setData = useCallback((fn: (d: T | undefined) => T | undefined) => setDataState(fn), []);
  return { data, error, loading, reload, setData };
}

/** Subscribes while mounted (and while `query` is not null). The latest callback is always used. */
export function useSubscription<T = any>(query: string | null, variables: Record<string, unknown>, onData: (d: T) => void) {
  const cb = useRef(onData);
  cb.current = onData;
  const key = JSON.stringify(variables);
  useEffect(() => {
    if (query == null) return;
    return subscribe<T>(query, JSON.parse(key), (d) => cb.current(d));
  }, [query, key]);
}

/** A mutation with its pending state and last error. */
export function useMutation<T = any>(query: string) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<Error>();
  const run = useCallback(
    async (variables?: Record<string, unknown>): Promise<T | undefined> => {
      setPending(true);
      setError(undefined);
      try {
        return await gql<T>(query, variables);
      } catch (e) {
        setError(e as Error);
        return undefined;
      } finally {
        setPending(false);
      }
    },
    [query],
  );
  return { run, pending, error, clearError: () => setError(undefined) };
}

/**
 * The URL to show a server image with: the path itself when no token is set (the browser loads
 * and caches it), else an object URL of the image fetched with the token, since an <img> cannot
 * send an Authorization header. Null while loading; 'error' when it cannot be loaded.
 */
export function useImageUrl(path: string): string | null | 'error' {
  const token = apiToken();
  const [url, setUrl] = useState<string | null | 'error'>(token ? null : path);
  useEffect(() => {
    if (!token) return setUrl(path);
    let objectUrl: string | undefined;
    let cancelled = false;
    setUrl(null);
    fetch(path, { headers: authHeaders() })
      .then((res) => (res.ok ? res.blob() : Promise.reject(new Error(String(res.status)))))
      .then((blob) => {
        objectUrl = URL.createObjectURL(blob);
        if (!cancelled) setUrl(objectUrl);
      })
      .catch(() => !cancelled && setUrl('error'));
    return () => {
      cancelled = true;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [path, token]);
  return url;
}

/**
 * Saves a server file (an artifact) under `name`. With a token set, a plain link cannot send the
 * Authorization header, so the file is fetched with it and saved from an object URL, as images are.
 */
export async function downloadWithToken(path: string, name: string): Promise<void> {
  const res = await fetch(path, { headers: authHeaders() });
  if (!res.ok) throw new ApiError(`The download failed: the server answered ${res.status}.`, 'HTTP');
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
