/**
 * Hash routes (`#/customer/<id>`): the console is one page served from one path, so deep links work
 * without server rewrites, and nothing personal is ever in a route (customers by opaque id only;
 * emails and phones go in request bodies, through the hashed lookup).
 */
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  /** Path segments after `#/`, e.g. ['customer', '01J...']. */
  parts: string[];
  params: URLSearchParams;
}

/** A part that does not decode (a mangled link) stays as typed: the page then says it is not found. */
function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export function parseHash(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  return { parts: path.split('/').filter(Boolean).map(decodePart), params: new URLSearchParams(search) };
}

export function href(parts: string[], params?: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) if (v) search.set(k, v);
  const q = search.toString();
  return `#/${parts.map(encodeURIComponent).join('/')}${q ? `?${q}` : ''}`;
}

export const navigate = (parts: string[], params?: Record<string, string | undefined>) => {
  location.hash = href(parts, params);
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}
