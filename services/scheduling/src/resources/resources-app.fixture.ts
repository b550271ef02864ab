/**
 * The resources slice alone as a service, on an embedded store, for route tests: its routes and its projections —
 * wired as scheduling's composition root wires them, without the rest of scheduling.
 */
import { type Processor, startProjections } from '@buergerkoffer/shared/event-sourcing';
import { defineService } from '@buergerkoffer/shared/runtime';
import { buildTestApp, type TestAppOptions } from '@buergerkoffer/shared/testing';
import type { ResourceDeps } from './resource.http.ts';
import { resourceProjections } from './resource.projections.ts';
import { resourceRoutes } from './resource.routes.ts';

export const resourcesOnly = defineService<ResourceDeps>({
  name: 'scheduling',
  title: 'Bürgerkoffer scheduling: resources',
  defaultPort: 3103,
  usesBus: false,
  topics: { publishes: [], consumes: [] },
  deps: (parts) => ({ store: parts.store, sql: parts.sql, now: parts.now }),
  plugin: (deps) => async (app) => {
    let running: Processor[] = [];
    app.addHook('onReady', async () => {
      running = await startProjections(resourceProjections(deps), { log: app.log });
    });
    app.addHook('onClose', async () => {
      for (const projection of running) await projection.stop();
    });
    await app.register(resourceRoutes(deps));
  },
  projections: (parts) => resourceProjections(parts),
});

export const resourcesApp = (options: TestAppOptions<ResourceDeps> = {}) => buildTestApp(resourcesOnly, options);
