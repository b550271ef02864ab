/**
 * The casefile service: every case's full history for auditors (paginated, printable, integrity-checked, with time
 * travel), the access log, and live feeds for staff UIs — read from the event store alone, nothing kept elsewhere
 * that could disagree with it.
 */
import {
  type BoundProjection,
  type EventStore,
  type Processor,
  type Sql,
  startProjections,
} from '@buergerkoffer/shared/event-sourcing';
import { accessLog, followErasures } from '@buergerkoffer/shared/privacy';
import { defineService } from '@buergerkoffer/shared/runtime';
import type { FastifyPluginAsync } from 'fastify';
import { Gauge } from 'prom-client';
import type { CasefileDeps } from './deps.ts';
import { feedRoutes } from './feeds/feed.routes.ts';
import { FeedHub } from './feeds/feed-hub.ts';
import { historyRoutes } from './history/history.routes.ts';
import { privacyRoutes } from './privacy/privacy.routes.ts';
import { subjectCasesProjection } from './privacy/subject-cases.projection.ts';

export type { CasefileDeps, FeedOptions } from './deps.ts';

export const name = 'casefile';

/** Casefile's read model: which cases are about which data subject (for erasure and export). */
export const projections = (deps: { store: EventStore; sql: Sql }): BoundProjection[] => [subjectCasesProjection(deps)];

export const buildService =
  (deps: CasefileDeps): FastifyPluginAsync =>
  async (app) => {
    const hub = new FeedHub(
      deps.store,
      deps.feeds,
      app.log,
      app.hasDecorator('processors') ? app.processors : undefined,
    );
    if (app.hasDecorator('metrics')) {
      const gauges: [name: string, help: string, value: () => number][] = [
        ['casefile_feed_clients', 'Clients connected to live feeds (SSE)', () => hub.clients],
        [
          'casefile_feed_live',
          '1 while the live-feed hub follows the store, 0 while it waits to subscribe again after a failure',
          () => (hub.live ? 1 : 0),
        ],
        ['casefile_feed_overflows', 'Feed clients disconnected for not keeping up, since start', () => hub.overflows],
      ];
      for (const [metric, help, value] of gauges) {
        new Gauge({
          name: metric,
          help,
          registers: [app.metrics],
          collect() {
            this.set(value());
          },
        });
      }
    }
    const registry = app.hasDecorator('processors') ? app.processors : undefined;
    const running: Processor[] = [];
    app.addHook('onReady', async () => {
      hub.start();
      running.push(...(await startProjections(projections(deps), { log: app.log, registry })));
      // Every recorded erasure carried out: the key destroyed (again, after a crash between record and destruction).
      running.push(
        followErasures(
          deps.store,
          { name: 'casefile:erasures', resume: { checkpoints: deps.checkpoints }, registry, log: app.log },
          async (erasure) => {
            await deps.keyStore.erase(erasure.tenantId, erasure.subjectId);
            // What was sealed under the case id for want of the subject's (fallbackSubject) goes with them.
            await deps.keyStore.erase(erasure.tenantId, erasure.caseId);
          },
        ),
      );
    });
    // Before the server closes: open streams would otherwise hold the shutdown until their clients leave.
    app.addHook('preClose', async () => hub.stop());
    app.addHook('onClose', async () => {
      for (const processor of running) await processor.stop();
    });
    // One access log for every read route: a read recorded today is not recorded again (access-log.ts).
    const reads = { ...deps, accessLog: accessLog(deps.store, deps.now) };
    await app.register(historyRoutes(reads));
    await app.register(feedRoutes(reads, hub));
    await app.register(privacyRoutes(reads));
  };

export const definition = defineService({
  name,
  title: 'Bürgerkoffer casefile',
  defaultPort: 3105,
  // It reads the shared store and does not use the bus, so it needs no Kafka.
  usesBus: false,
  topics: { publishes: [], consumes: [] },
  deps: (parts): CasefileDeps => ({
    store: parts.store,
    keyStore: parts.keyStore,
    sql: parts.sql,
    checkpoints: parts.checkpoints,
    now: parts.now,
  }),
  plugin: buildService,
  projections: (parts) => projections(parts),
});
