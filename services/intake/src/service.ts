/**
 * The intake service: records requests for the mobile office (115, e-mail, institution, counter) as cases.
 * `definition` is the service for every composition root (runtime/service-definition.ts): standalone at `/`
 * (main.ts), embedded under `/intake`, in tests; `buildService(deps)` is its fastify plugin.
 */
import { hkdfSync } from 'node:crypto';
import { INTAKE_CASE_TOPIC } from '@buergerkoffer/shared/contracts';
import {
  type BoundProjection,
  type CheckpointStore,
  type EventStore,
  type Processor,
  type Sql,
  startProjections,
} from '@buergerkoffer/shared/event-sourcing';
import type { EventBus, Relay } from '@buergerkoffer/shared/messaging';
import { PersonalDataStore } from '@buergerkoffer/shared/privacy';
import { defineService, type SystemParts } from '@buergerkoffer/shared/runtime';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { Gauge } from 'prom-client';
import { casePersonalData } from './cases/case.privacy.ts';
import { caseRoutes } from './cases/case.routes.ts';
import { caseListProjection } from './cases/case-list.projection.ts';
import { startCaseRelay } from './cases/integration/case.relay.ts';
import { institutionRoutes } from './institutions/institution.routes.ts';

export { casePersonalData as personalData } from './cases/case.privacy.ts';

export const name = 'intake';

export interface IntakeDeps {
  /** The event store with personal data protection (PersonalDataStore over the service's store). */
  readonly store: EventStore;
  /** The service's own database: projections and checkpoints. */
  readonly sql: Sql;
  readonly checkpoints: CheckpointStore;
  /** The HMAC key of the probable-duplicate lookup (derive it from the deployment's secrets). */
  readonly duplicateSecret: Buffer;
  readonly now: () => Date;
  /** Publishing integration events: the store as stored (sealed) and the bus. */
  readonly relay?: { readonly sealedStore: EventStore; readonly bus: EventBus };
}

/**
 * Operations: the store's head. How far the relay and the projection are behind it is the shared
 * `processor_lag_events{processor="relay:intake-case"|"intake:case-list"}`.
 */
function registerHeadMetric(app: FastifyInstance, deps: IntakeDeps): void {
  if (!app.hasDecorator('metrics')) return;
  new Gauge({
    name: 'eventstore_head_position',
    help: 'Global position of the newest stored event',
    registers: [app.metrics],
    async collect() {
      // While the store is unreachable the metric is absent, and /metrics still answers (with the failures).
      this.reset();
      const head = await deps.store.headPosition().catch(() => undefined);
      if (head !== undefined) this.set(head);
    },
  });
}

/** The service's read models, for a composition root to run or rebuild them (`pnpm casefile rebuild`). */
export const projections = (deps: Pick<IntakeDeps, 'store' | 'sql' | 'duplicateSecret'>): BoundProjection[] => [
  caseListProjection(deps),
];

/** The service as a fastify plugin: its routes, and its projections running while the app runs. */
export const buildService =
  (deps: IntakeDeps): FastifyPluginAsync =>
  async (app) => {
    const running: Processor[] = [];
    let relay: Relay | undefined;
    const registry = app.hasDecorator('processors') ? app.processors : undefined;
    app.addHook('onReady', async () => {
      running.push(...(await startProjections(projections(deps), { log: app.log, registry })));
      if (deps.relay) {
        relay = await startCaseRelay({ ...deps.relay, checkpoints: deps.checkpoints }, { log: app.log, registry });
      }
    });
    app.addHook('onClose', async () => {
      await relay?.stop();
      for (const projection of running) await projection.stop();
    });
    registerHeadMetric(app, deps);
    await app.register(caseRoutes(deps));
    await app.register(institutionRoutes(deps));
  };

/** The duplicate lookup's HMAC key, derived from the master key: the same in every process of a deployment. */
export const duplicateSecretOf = (masterKey: Buffer): Buffer =>
  Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'intake duplicate lookup', 32));

/** Intake's dependencies from the parts every composition root has; without a bus, no relay (a rebuild). */
export function intakeDeps(parts: SystemParts, bus?: EventBus): IntakeDeps {
  return {
    store: new PersonalDataStore(parts.store, parts.keyStore, casePersonalData),
    sql: parts.sql,
    checkpoints: parts.checkpoints,
    duplicateSecret: duplicateSecretOf(parts.masterKey),
    now: parts.now,
    ...(bus ? { relay: { sealedStore: parts.store, bus } } : {}),
  };
}

export const definition = defineService({
  name,
  title: 'Bürgerkoffer intake',
  defaultPort: 3101,
  usesBus: true,
  topics: { publishes: [INTAKE_CASE_TOPIC], consumes: [] },
  deps: (parts) => intakeDeps(parts, parts.bus),
  plugin: buildService,
  projections: (parts) => projections(intakeDeps(parts)),
});
