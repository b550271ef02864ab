/**
 * The resources visits are planned with, over HTTP: the tenant's kits (`/kits`), its field staff (`/staff`) and its
 * scheduling settings (`/settings`). Admins set them up; schedulers record absences; whoever has a kit in hand
 * reports its devices. Every write takes an Idempotency-Key (a new kit's, member of staff's or absence's id comes
 * from it), every change of what exists needs If-Match — but a device report, which must go through from the field.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { kitRoutes } from './kit.routes.ts';
import type { ResourceDeps } from './resource.http.ts';
import { settingsRoutes } from './settings.routes.ts';
import { staffRoutes } from './staff.routes.ts';

export type { ResourceDeps } from './resource.http.ts';

/** Takes scheduling's dependencies (SchedulingDeps) or only what the routes use of them. */
export const resourceRoutes =
  (deps: ResourceDeps): FastifyPluginAsyncZod =>
  async (app) => {
    await app.register(kitRoutes(deps));
    await app.register(staffRoutes(deps));
    await app.register(settingsRoutes(deps));
  };
