/**
 * The casefile service: every case's full history for auditors (paginated, printable, integrity-checked, with time
 * travel), the access log, and live feeds for staff UIs — read from the event store alone, nothing kept elsewhere
 * that could disagree with it.
 */
import { defineService } from '@buergerkoffer/shared/runtime';
import type { FastifyPluginAsync } from 'fastify';
import { Gauge } from 'prom-client';
import type { CasefileDeps } from './deps.ts';
import { feedRoutes } from './feeds/feed.routes.ts';
import { FeedHub } from './feeds/feed-hub.ts';
import { historyRoutes } from './history/history.routes.ts';

export type { CasefileDeps, FeedOptions } from './deps.ts';

export const name = 'casefile';

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
    app.addHook('onReady', async () => hub.start());
    // Before the server closes: open streams would otherwise hold the shutdown until their clients leave.
    app.addHook('preClose', async () => hub.stop());
    await app.register(historyRoutes(deps));
    await app.register(feedRoutes(deps, hub));
  };

export const definition = defineService({
  name,
  title: 'Bürgerkoffer casefile',
  defaultPort: 3105,
  // It reads the shared store and does not use the bus, so it needs no Kafka.
  usesBus: false,
  topics: { publishes: [], consumes: [] },
  deps: (parts): CasefileDeps => ({ store: parts.store, keyStore: parts.keyStore, sql: parts.sql, now: parts.now }),
  plugin: buildService,
});
