/**
 * A device the kit's team found faulty on site (`fieldkit.device.fault.v1` on `fieldkit.outcome.v1`), delivered on
 * the embedded bus to scheduling's consumer over the embedded store: the kit's device becomes faulty, the kit's visits
 * ahead that need it are flagged for rescheduling, proposals stop offering the kit for services that need it; a
 * redelivery changes nothing; another kit and the kit's other devices stay as they were; a fault that cannot apply
 * (unknown kit, another tenant's, withdrawn, a device the kit lacks, one already faulty) is a no-op, counted, never
 * an error.
 */
import {
  FIELDKIT_OUTCOME_TOPIC,
  FIELDKIT_SOURCE,
  type IntegrationEvent,
  type KitDevice,
  toKafkaRecord,
} from '@buergerkoffer/shared/contracts';
import { PostgresCheckpointStore, uuidv7 } from '@buergerkoffer/shared/event-sourcing';
import type { IncomingMessage } from '@buergerkoffer/shared/messaging';
import { metricValue, pollUntil } from '@buergerkoffer/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULING_GROUP } from '../src/demand/integration/on-case-event.consumer.ts';
import {
  type FaultOutcome,
  fieldkitOutcomeHandler,
} from '../src/resources/integration/on-fieldkit-outcome.consumer.ts';
import { AVAILABILITY } from '../src/visits/availability.processor.ts';
import { type SchedulingFixture, schedulingFixture, TENANT } from './scheduling.fixture.ts';

const DATE = '2027-04-06';
const at = (date: string, time: string) => new Date(`${date}T${time}:00+02:00`).toISOString();
const HOME = { kind: 'home', address: 'Hattinger Straße 12, 44789 Bochum' } as const;
const DLQ = `${FIELDKIT_OUTCOME_TOPIC}.dlq.${SCHEDULING_GROUP}`;

/** A fault as fieldkit's relay publishes it: keyed by the kit, the id its stored check's. */
const faultOf = (
  kitId: string,
  device: KitDevice,
  { id = uuidv7(), tenant = TENANT }: { id?: string; tenant?: string } = {},
): IntegrationEvent => ({
  id,
  type: 'fieldkit.device.fault.v1',
  source: FIELDKIT_SOURCE,
  subject: kitId,
  time: new Date().toISOString(),
  tenant,
  data: {
    visitId: uuidv7(),
    kitId,
    recordedBy: uuidv7(),
    capturedAt: '2027-04-06T07:55:00+02:00',
    device,
    phase: 'start',
  },
});

type KitView = { kitId: string; status: string; devices: Record<string, string> };

describe('a kit whose device fieldkit found faulty', () => {
  let s: SchedulingFixture;
  let kitId: string;
  let otherKitId: string;
  let staff: [string, string];
  beforeAll(async () => {
    s = await schedulingFixture();
    kitId = await s.kit('Koffer Nord');
    otherKitId = await s.kit('Koffer Süd');
    staff = [await s.staff(), await s.staff()];
  }, 120_000);
  afterAll(async () => s.close());

  const deliver = (...events: IntegrationEvent[]) =>
    s.fixture.bus.publish(FIELDKIT_OUTCOME_TOPIC, events.map(toKafkaRecord));
  /** Every fault delivered so far handled and committed by the consumer. */
  const handled = () =>
    pollUntil(
      () => s.fixture.bus.consumerLag(SCHEDULING_GROUP, [FIELDKIT_OUTCOME_TOPIC]),
      (lag) => lag === 0,
      60_000,
      'the consumer to commit the faults',
    );
  const kit = async (id: string) => (await s.request('GET', `/kits/${id}`)).json<KitView>();
  const listed = async (id: string) =>
    (await s.request('GET', '/kits')).json<{ items: KitView[] }>().items.find((k) => k.kitId === id);
  const queue = async () =>
    (await s.request('GET', '/queue')).json<{ needsRescheduling: { visitId: string; reason: string }[] }>();
  const counted = async (outcome: FaultOutcome) =>
    metricValue(
      (await s.fixture.app.inject({ method: 'GET', url: '/metrics', headers: await s.as('admin') })).body,
      'scheduling_fieldkit_device_faults_total',
      `outcome="${outcome}"`,
    ) ?? 0;
  const book = async (caseId: string, onKit: string, from: string, to: string) => {
    const booked = await s.request('POST', '/visits', {
      payload: {
        caseIds: [caseId],
        kitId: onKit,
        staffIds: staff,
        start: at(DATE, from),
        end: at(DATE, to),
        place: HOME,
      },
    });
    expect(booked.statusCode, booked.body).toBe(201);
    return booked.json<{ visitId: string }>().visitId;
  };
  /** The availability processor has followed the store past `position`. */
  const availabilityPast = (position: number) =>
    pollUntil(
      async () => (await new PostgresCheckpointStore(s.fixture.sql).load(AVAILABILITY)) ?? 0,
      (checkpoint) => checkpoint >= position,
      60_000,
      'the availability processor to follow the fault',
    );

  it('is faulty, its visits ahead that need the device flagged; another kit and a visit not needing it stand', async () => {
    const idCard = await s.approvedCase({ services: ['id-card'] });
    const certificate = await s.approvedCase({ services: ['life-certificate'] });
    const elsewhere = await s.approvedCase({ services: ['id-card'] });
    await s.settled([idCard, certificate, elsewhere]);
    const needsCamera = await book(idCard, kitId, '08:00', '09:30');
    const printerOnly = await book(certificate, kitId, '10:00', '11:00');
    const otherKit = await book(elsewhere, otherKitId, '12:00', '13:30');
    await pollUntil(
      async () => (await s.request('GET', `/visits?from=${DATE}&to=${DATE}`)).json<{ items: unknown[] }>().items,
      (items) => items.length >= 3,
      60_000,
      'the visits read model',
    );

    await deliver(faultOf(kitId, 'camera'));
    await handled();
    expect((await kit(kitId)).devices).toMatchObject({ camera: 'faulty', printer: 'ok', 'fingerprint-sensor': 'ok' });
    expect(Object.values((await kit(otherKitId)).devices).every((status) => status === 'ok')).toBe(true);
    const [reported] = (await s.fixture.store.readStream(`kit-${kitId}`)).filter(
      (e) => e.type === 'KitDeviceReportedFaulty',
    );
    expect(reported?.data).toMatchObject({ kitId, device: 'camera' });
    expect(reported?.metadata).toMatchObject({
      tenantId: TENANT,
      actor: { id: 'scheduling-fieldkit', role: 'system' },
    });
    expect(reported?.metadata.caseId ?? reported?.metadata.caseIds).toBeUndefined();

    await availabilityPast(reported?.position ?? Number.POSITIVE_INFINITY);
    const flagged = (await queue()).needsRescheduling;
    expect(flagged.filter((v) => [needsCamera, printerOnly, otherKit].includes(v.visitId))).toEqual([
      expect.objectContaining({ visitId: needsCamera, reason: 'device-faulty' }),
    ]);
    expect((await s.request('GET', `/visits/${needsCamera}`)).json()).toMatchObject({
      needsRescheduling: { reason: 'device-faulty', device: 'camera' },
    });

    // Proposals: the kit no more for a service that needs its camera, the other kit still.
    const next = await s.approvedCase({ services: ['passport'] });
    await s.settled([next]);
    await pollUntil(
      () => listed(kitId),
      (k) => k?.devices.camera === 'faulty',
      60_000,
      'the kits read model',
    );
    const proposed = (await s.request('GET', `/proposals?caseId=${next}&from=2027-04-07&limit=50`)).json<{
      proposals: { kitId: string }[];
    }>().proposals;
    expect(proposed.some((p) => p.kitId === otherKitId)).toBe(true);
    expect(proposed.some((p) => p.kitId === kitId)).toBe(false);
    expect(await counted('reported')).toBeGreaterThanOrEqual(1);
  });

  it('is not reported again by a redelivery: nothing appended, even once the device was repaired meanwhile', async () => {
    const message = faultOf(kitId, 'signature-pad');
    await deliver(message);
    await handled();
    expect((await kit(kitId)).devices['signature-pad']).toBe('faulty');
    const before = (await s.fixture.store.readStream(`kit-${kitId}`)).length;
    const redelivered = await counted('redelivered');

    await deliver(message);
    await handled();
    expect((await s.fixture.store.readStream(`kit-${kitId}`)).length).toBe(before);

    const repaired = await s.request('POST', `/kits/${kitId}/devices/signature-pad/repair`, { role: 'field-officer' });
    expect(repaired.statusCode, repaired.body).toBe(200);
    await deliver(message);
    await handled();
    // The same report as before, not a new one: the repair stands.
    expect((await kit(kitId)).devices['signature-pad']).toBe('ok');
    expect((await s.fixture.store.readStream(`kit-${kitId}`)).map((e) => e.type).slice(before)).toEqual([
      'KitDeviceRepaired',
    ]);
    expect(await counted('redelivered')).toBe(redelivered + 2);
  });

  it('takes both devices of one check that found two faulty (two messages under the one id of the check)', async () => {
    const id = uuidv7();
    await deliver(faultOf(otherKitId, 'printer', { id }), faultOf(otherKitId, 'scanner', { id }));
    await handled();
    expect((await kit(otherKitId)).devices).toMatchObject({ printer: 'faulty', scanner: 'faulty', camera: 'ok' });
  });

  it('records nothing and never fails for a kit unknown here, another tenant’s, withdrawn, or lacking the device', async () => {
    const withdrawn = await s.kit('Koffer Ausgemustert');
    const current = await s.request('GET', `/kits/${withdrawn}`);
    const out = await s.fixture.app.inject({
      method: 'POST',
      url: `/kits/${withdrawn}/withdraw`,
      headers: { ...(await s.as('admin')), 'if-match': String(current.headers.etag) },
    });
    expect(out.statusCode, out.body).toBe(200);
    const streams = [kitId, otherKitId, withdrawn].map((id) => `kit-${id}`);
    const lengths = async () =>
      Promise.all(streams.map(async (stream) => (await s.fixture.store.readStream(stream)).length));
    const before = await lengths();
    const unknown = uuidv7();

    // Straight to the handler: each resolves (no retry, no dead letter) with its outcome.
    const outcomes: FaultOutcome[] = [];
    const handle = fieldkitOutcomeHandler({ store: s.fixture.store, counted: (o) => outcomes.push(o) });
    const asMessage = (event: IntegrationEvent, offset: number): IncomingMessage => ({
      ...toKafkaRecord(event),
      topic: FIELDKIT_OUTCOME_TOPIC,
      partition: 0,
      offset: String(offset),
      attempt: 1,
    });
    const faults = [
      faultOf(unknown, 'camera'),
      faultOf(kitId, 'printer', { tenant: 'herne' }),
      faultOf(withdrawn, 'camera'),
      faultOf(kitId, 'lte-router'),
      faultOf(kitId, 'camera'),
    ];
    for (const [index, fault] of faults.entries())
      await expect(handle(asMessage(fault, index))).resolves.toBeUndefined();
    expect(outcomes).toEqual(['unknown-kit', 'unknown-kit', 'kit-withdrawn', 'device-not-on-kit', 'already-faulty']);
    expect(await s.fixture.store.readStream(`kit-${unknown}`)).toEqual([]);
    expect(await lengths()).toEqual(before);
    expect((await kit(kitId)).devices.printer).toBe('ok');

    // On the bus: the consumer takes them in and moves on, and dead-letters none of them.
    const notApplied = await counted('unknown-kit');
    await deliver(...faults);
    await handled();
    expect(await counted('unknown-kit')).toBe(notApplied + 2);
    expect(await s.fixture.bus.consumerLag('a-reader-of-dead-letters', [DLQ])).toBe(0);
    expect(await lengths()).toEqual(before);
  });

  it('plans nothing on the other outcomes of the kit’s work (issue 16’s follow-up reads service.completed)', async () => {
    const head = await s.fixture.store.headPosition();
    const caseId = uuidv7();
    const common = { visitId: uuidv7(), kitId, recordedBy: uuidv7(), capturedAt: new Date().toISOString(), caseId };
    const outcome = (type: string, data: Record<string, unknown>): IntegrationEvent => ({
      id: uuidv7(),
      type,
      source: FIELDKIT_SOURCE,
      subject: caseId,
      time: new Date().toISOString(),
      tenant: TENANT,
      data: { ...common, ...data },
    });
    const outcomes = [
      outcome('fieldkit.visit.started.v1', {}),
      outcome('fieldkit.service.completed.v1', { service: 'id-card', feeCents: 3700, paymentMethod: 'card' }),
      outcome('fieldkit.service.not-completed.v1', { service: 'passport', reason: 'missing-document' }),
      outcome('fieldkit.visit.completed.v1', {}),
    ];
    await deliver(...outcomes);
    await handled();
    const ids = new Set(outcomes.map((o) => o.id));
    const caused = (await s.fixture.store.readAll({ afterPosition: head, limit: 10_000 })).filter((e) =>
      ids.has(String(e.metadata.causationId)),
    );
    expect(caused).toEqual([]);
    expect(await s.fixture.bus.consumerLag('a-reader-of-dead-letters', [DLQ])).toBe(0);
  });
});
