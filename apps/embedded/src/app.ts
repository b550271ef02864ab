import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as casefile from '@buergerkoffer/casefile/service';
import * as eligibility from '@buergerkoffer/eligibility/service';
import * as fieldkit from '@buergerkoffer/fieldkit/service';
import * as intake from '@buergerkoffer/intake/service';
import * as scheduling from '@buergerkoffer/scheduling/service';
import { PostgresEventStore } from '@buergerkoffer/shared/event-sourcing';
import type { Logger } from '@buergerkoffer/shared/observability';
import Fastify from 'fastify';

export const services = [intake, eligibility, scheduling, fieldkit, casefile] as const;

export interface EmbeddedDeps {
  logger: Logger;
  dataDir: string;
}

/**
 * The whole system in one fastify instance: every service mounted under `/<name>`, the event store on the
 * PostgreSQL engine embedded in-process (PGlite), persisted under `<dataDir>/eventstore`.
 */
export async function buildEmbedded(deps: EmbeddedDeps) {
  await mkdir(deps.dataDir, { recursive: true });
  const store = await PostgresEventStore.embedded(join(deps.dataDir, 'eventstore'));
  const app = Fastify({ loggerInstance: deps.logger, bodyLimit: 1_048_576 });
  app.addHook('onClose', async () => store.close());
  app.get('/healthz', async () => ({
    status: 'ok' as const,
    mode: 'embedded' as const,
    services: services.map((s) => s.name),
  }));
  app.get('/readyz', async (_request, reply) => {
    try {
      return { status: 'ready' as const, eventStore: { head: await store.headPosition() } };
    } catch {
      return reply.code(503).send({ status: 'not-ready' as const, eventStore: 'unreachable' });
    }
  });
  for (const s of services) await app.register(s.service, { prefix: `/${s.name}` });
  return app;
}
