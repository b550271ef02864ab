/**
 * Each service's dependencies built from the parts every composition root has (the store as stored, its database,
 * the key store, the master key): `buildEmbedded` and `pnpm casefile rebuild` build projections the same way, so a
 * rebuild writes what the running system writes.
 */
import { hkdfSync } from 'node:crypto';
import type { EligibilityDeps } from '@buergerkoffer/eligibility/service';
import * as eligibility from '@buergerkoffer/eligibility/service';
import * as intake from '@buergerkoffer/intake/service';
import {
  type BoundProjection,
  type EventStore,
  PostgresCheckpointStore,
  type Sql,
} from '@buergerkoffer/shared/event-sourcing';
import type { EventBus } from '@buergerkoffer/shared/messaging';
import { type KeyStore, PersonalDataStore } from '@buergerkoffer/shared/privacy';

export interface SystemParts {
  /** The shared event store as stored (personal fields sealed). */
  readonly store: EventStore;
  readonly sql: Sql;
  readonly keyStore: KeyStore;
  readonly masterKey: Buffer;
  readonly now: () => Date;
}

/** The intake duplicate lookup's HMAC key, derived from the master key (the same in every process). */
export const duplicateSecretOf = (masterKey: Buffer): Buffer =>
  Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'intake duplicate lookup', 32));

export function intakeDeps(parts: SystemParts, bus?: EventBus): Parameters<typeof intake.buildService>[0] {
  return {
    store: new PersonalDataStore(parts.store, parts.keyStore, intake.personalData),
    sql: parts.sql,
    checkpoints: new PostgresCheckpointStore(parts.sql),
    duplicateSecret: duplicateSecretOf(parts.masterKey),
    now: parts.now,
    ...(bus ? { relay: { sealedStore: parts.store, bus } } : {}),
  };
}

export function eligibilityDeps(parts: SystemParts, bus: EventBus): EligibilityDeps {
  const store = new PersonalDataStore(parts.store, parts.keyStore, eligibility.personalData);
  return {
    store,
    sealedStore: parts.store,
    sql: parts.sql,
    checkpoints: new PostgresCheckpointStore(parts.sql),
    bus,
    protector: store.protector,
    now: parts.now,
  };
}

/** Every projection of every service, in the order they are rebuilt. */
export function allProjections(parts: SystemParts): BoundProjection[] {
  return [
    ...intake.projections(intakeDeps(parts)),
    ...eligibility.projections({ sealedStore: parts.store, sql: parts.sql }),
  ];
}
