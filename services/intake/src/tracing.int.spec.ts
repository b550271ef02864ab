/** One trace from the HTTP request through the stored events and the relay to a consumer of intake.case.v1. */
import { INTAKE_CASE_TOPIC } from '@buergerkoffer/shared/contracts';
import { startTracing } from '@buergerkoffer/shared/observability';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { intakeApp } from '../test/intake-app.fixture.ts';

describe('tracing across intake', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: ReturnType<typeof startTracing>;
  let fixture: Awaited<ReturnType<typeof intakeApp>>;
  beforeAll(async () => {
    tracing = startTracing({ serviceName: 'intake-test', exporter });
    fixture = await intakeApp();
  });
  afterAll(async () => {
    await fixture.close();
    await tracing.shutdown();
  });

  it("continues the caller's trace through the command, the stored event, the relay and the consumer", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const consumed: string[] = [];
    const consumer = await fixture.bus.subscribe(
      { groupId: 'trace-reader', topics: [INTAKE_CASE_TOPIC] },
      async (m) => {
        consumed.push(m.headers.traceparent ?? '');
      },
    );
    const response = await fixture.app.inject({
      method: 'POST',
      url: '/cases',
      headers: { ...(await fixture.auth()), traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      payload: {
        applicant: {
          givenNames: 'Erika',
          familyName: 'Mustermann',
          birthDate: '1941-03-12',
          address: { street: 'Hauptstraße', houseNumber: '5', postalCode: '44787', city: 'Bochum' },
        },
        requestedServices: ['id-card'],
        mobility: { careLevel: 4, disabilityMarks: [], permanentlyHomebound: true },
        channel: 'phone-115',
      },
    });
    expect(response.statusCode).toBe(201);
    for (const deadline = Date.now() + 30_000; consumed.length === 0 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await consumer.stop();

    const { caseId } = response.json();
    const [stored] = await fixture.store.readStream(`intakeCase-${caseId}`);
    expect(stored?.metadata.traceparent).toContain(traceId);
    expect(consumed[0]).toContain(traceId);

    const spans = exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
    const names = spans.map((span) => span.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'POST /cases',
        'command OpenCase',
        `publish ${INTAKE_CASE_TOPIC}`,
        `process ${INTAKE_CASE_TOPIC}`,
      ]),
    );
    const server = spans.find((span) => span.name === 'POST /cases');
    expect(server?.attributes['http.response.status_code']).toBe(201);
  });
});
