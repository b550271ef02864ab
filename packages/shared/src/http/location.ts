/**
 * `Location` of a created resource. Built from the route that served the request (its template with the request's
 * path parameters filled in, the mount prefix included: `/intake/cases`), never from the request's URL: that carries
 * the query string (`?next=//evil.example/x` would come back in the header) and whatever spelling the caller chose.
 */
import type { FastifyRequest } from 'fastify';

/** The path of the route that served `request`, followed by `segments` (each percent-encoded). */
export function locationOf(request: FastifyRequest, ...segments: readonly string[]): string {
  const template = request.routeOptions.url;
  if (template === undefined) throw new Error('locationOf: the request was not served by a route');
  const params = new Map<string, unknown>(
    typeof request.params === 'object' && request.params !== null ? Object.entries(request.params) : [],
  );
  const path = template
    .split('/')
    .map((part) => {
      if (part.includes('*')) throw new Error('locationOf: a wildcard route has no single location');
      if (!part.startsWith(':')) return part;
      // `:name`, or `:name(regex)` in find-my-way's syntax.
      const name = part.slice(1).replace(/\(.*$/, '');
      const value = params.get(name);
      if (typeof value !== 'string') throw new Error(`locationOf: no path parameter ${name}`);
      return encodeURIComponent(value);
    })
    .join('/')
    .replace(/\/$/, '');
  return [path, ...segments.map(encodeURIComponent)].join('/');
}
