/**
 * Security headers on every answer (@fastify/helmet): the API answers JSON, never a page, so its Content-Security-
 * Policy allows nothing (`default-src 'none'; frame-ancestors 'none'`), and nothing may frame it. The Swagger UI under
 * /docs is a page: its routes get a policy that lets it load its own scripts, styles and the OpenAPI document, and
 * nothing from elsewhere. Caching is left to the routes (those answering personal data say `no-store` themselves).
 */
import helmet from '@fastify/helmet';
import type { FastifyInstance, RouteOptions } from 'fastify';

/** As helmet spells it (no space after the semicolon), so every answer carries the same header. */
export const API_CSP = "default-src 'none';frame-ancestors 'none'";

/** What helmet sets, for the answers written without fastify's hooks (framework errors, client errors). */
export const RAW_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': API_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const DOCS_HELMET: NonNullable<RouteOptions['helmet']> = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      // Swagger UI sets element styles at run time.
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
};

/** Registers helmet for every route; the docs routes' policy comes from `relaxForDocs`. */
export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
}

/**
 * Gives a docs route its relaxed policy, from an `onRoute` hook added before helmet is registered (helmet's own
 * `onRoute` hook, which runs after it, reads `route.helmet`).
 */
export function relaxForDocs(route: RouteOptions): void {
  route.helmet = DOCS_HELMET;
}
