/**
 * Hash routes (`#/runs/abc?cols=…`): every view and its state live in the URL, so a link can be
 * shared and works on any static server without a fallback route.
 */
import { useEffect, useState } from 'react';

export interface Route {
  path: string[];
  params: URLSearchParams;
}

function parse(): Route {
  const raw = location.hash.replace(/^#/, '') || '/runs';
  const [p, q = ''] = raw.split('?');
  return { path: p.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(q) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const on = () => setRoute(parse());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function href(path: string, params?: Record<string, string | undefined | null> | URLSearchParams): string {
  const q = params instanceof URLSearchParams ? params : new URLSearchParams(Object.entries(params ?? {}).filter((e): e is [string, string] => e[1] != null && e[1] !== ''));
  const s = q.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}

export function navigate(to: string, replace = false) {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  dispatchEvent(new HashChangeEvent('hashchange'));
}

/** Changes some query params of the current route (replacing history: filters are not steps). */
export function setParams(changes: Record<string, string | null | undefined>, push = false) {
  const r = parse();
  for (const [k, v] of Object.entries(changes)) {
    if (v == null || v === '') r.params.delete(k);
    else r.params.set(k, v);
  }
  navigate(href('/' + r.path.map(encodeURIComponent).join('/'), r.params), !push);
}
