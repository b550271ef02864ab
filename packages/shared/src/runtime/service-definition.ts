/**
 * One way to define a service: each service exports one `defineService({...})` — its name, default port, the topics
 * it publishes and consumes, how its dependencies are built from the parts every composition root has, its fastify
 * plugin, and its read models. Whoever runs it — `runService` (one process per service), the embedded app (every
 * service in one process), the projection rebuild, a test — builds it through this definition, so a service's wiring
 * is written once, in its own folder, and adding a service means adding a folder.
 */
import type { FastifyPluginAsync } from 'fastify';
import { PostgresCheckpointStore } from '../event-sourcing/postgres/postgres-event-store.ts';
import type { Sql } from '../event-sourcing/postgres/sql.ts';
import type { Processor } from '../event-sourcing/processor.ts';
import type { BoundProjection } from '../event-sourcing/projection.ts';
import type { CheckpointStore, EventStore } from '../event-sourcing/types.ts';
import type { EventBus } from '../messaging/types.ts';
import { followErasures } from '../privacy/erasure-follower.ts';
import type { KeyStore } from '../privacy/key-store.ts';

/** What every composition root has, whatever runs where. */
export interface SystemParts {
  /** The event store as stored (personal fields sealed); a service seals and opens through its own policy. */
  readonly store: EventStore;
  /** The service's own database: read models, checkpoints, idempotency records, the data subjects' keys. */
  readonly sql: Sql;
  readonly checkpoints: CheckpointStore;
  /** The data subjects' keys (shared by every service: one key per person, erasable once). */
  readonly keyStore: KeyStore;
  /** The deployment's master key, for keys a service derives from it (never used directly as a key). */
  readonly masterKey: Buffer;
  readonly now: () => Date;
}

/** The parts from the store, the database and the keys: checkpoints in that database, the clock the system's. */
export function systemParts(
  parts: Pick<SystemParts, 'store' | 'sql' | 'keyStore' | 'masterKey'> & Partial<Pick<SystemParts, 'now'>>,
): SystemParts {
  return { checkpoints: new PostgresCheckpointStore(parts.sql), now: () => new Date(), ...parts };
}

/** The parts of a service that exchanges integration events. */
export interface BusParts extends SystemParts {
  readonly bus: EventBus;
}

interface DefinitionBase<Deps> {
  /** Lower-case, the URL prefix in the embedded system (`/<name>`) and the logs' `service`. */
  readonly name: string;
  /** For the OpenAPI document of the service running alone. */
  readonly title: string;
  /** Its port when it runs alone (PORT overrides). */
  readonly defaultPort: number;
  /** The integration topics it publishes and consumes (created at start where the bus is used). */
  readonly topics: { readonly publishes: readonly string[]; readonly consumes: readonly string[] };
  /** The service as a fastify plugin: routes, and the processors and consumers it runs while the app runs. */
  plugin(deps: Deps): FastifyPluginAsync;
  /** Its read models built from the parts alone (a rebuild has no bus): `pnpm casefile rebuild`. */
  projections?(parts: SystemParts): BoundProjection[];
}

/** A service that exchanges integration events: only then is a bus configured, connected and part of readiness. */
export interface BusServiceDefinition<Deps> extends DefinitionBase<Deps> {
  readonly usesBus: true;
  deps(parts: BusParts): Deps;
}

/** A service that only reads and writes the store (e.g. casefile): it needs no bus and does not wait for one. */
export interface StoreServiceDefinition<Deps> extends DefinitionBase<Deps> {
  readonly usesBus: false;
  deps(parts: SystemParts): Deps;
}

export type ServiceDefinition<Deps = never> = BusServiceDefinition<Deps> | StoreServiceDefinition<Deps>;

/** Any service's definition, as a composition root holds a list of them. */
// biome-ignore lint/suspicious/noExplicitAny: a list of definitions holds services of different dependency types
export type AnyServiceDefinition = ServiceDefinition<any>;

export function defineService<Deps>(definition: BusServiceDefinition<Deps>): BusServiceDefinition<Deps>;
export function defineService<Deps>(definition: StoreServiceDefinition<Deps>): StoreServiceDefinition<Deps>;
export function defineService<Deps>(definition: ServiceDefinition<Deps>): ServiceDefinition<Deps> {
  if (!/^[a-z][a-z0-9-]*$/.test(definition.name)) {
    throw new Error(`service name "${definition.name}": lower-case letters, digits and dashes`);
  }
  return definition;
}

/**
 * The service's plugin built from the parts: its dependencies from its definition (`adjust` may change them, for a
 * test), and — for a service on the bus — the topics it publishes and consumes created before its own start-up runs
 * (they wait for partition leaders).
 */
export function servicePlugin<Deps>(
  definition: ServiceDefinition<Deps>,
  parts: SystemParts,
  bus?: EventBus,
  adjust: (deps: Deps) => Deps = (deps) => deps,
): FastifyPluginAsync {
  if (!definition.usesBus)
    return withErasures(definition.name, parts, definition.plugin(adjust(definition.deps(parts))));
  if (!bus) throw new Error(`the ${definition.name} service exchanges integration events: it needs a bus`);
  const plugin = definition.plugin(adjust(definition.deps({ ...parts, bus })));
  const topics = [...new Set([...definition.topics.publishes, ...definition.topics.consumes])];
  return withErasures(definition.name, parts, async (app) => {
    if (topics.length > 0) app.addHook('onReady', async () => bus.ensureTopics(topics.map((topic) => ({ topic }))));
    await app.register(plugin);
  });
}

const followedKeyStores = new WeakSet<KeyStore>();

/**
 * The plugin with its process forgetting erased subjects' keys at once: every service keeps keys in memory for a
 * while (key-store.ts), and an erasure by another process would otherwise be seen only when that cache runs out.
 */
function withErasures(name: string, parts: SystemParts, plugin: FastifyPluginAsync): FastifyPluginAsync {
  const { keyStore } = parts;
  // One follower per key store: the embedded system's services share theirs.
  if (!keyStore.evict || followedKeyStores.has(keyStore)) return plugin;
  followedKeyStores.add(keyStore);
  return async (app) => {
    let follower: Processor | undefined;
    app.addHook('onReady', async () => {
      follower = followErasures(
        parts.store,
        {
          name: `${name}:key-cache`,
          resume: 'head',
          registry: app.hasDecorator('processors') ? app.processors : undefined,
          log: app.log,
        },
        (erasure) => {
          keyStore.evict?.(erasure.tenantId, erasure.subjectId);
          keyStore.evict?.(erasure.tenantId, erasure.caseId);
        },
      );
    });
    app.addHook('onClose', async () => {
      await follower?.stop();
      followedKeyStores.delete(keyStore);
    });
    await app.register(plugin);
  };
}
