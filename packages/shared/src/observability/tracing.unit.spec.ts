import { Writable } from 'node:stream';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';
import { contextFrom, inSpan, startTracing, traceparentOf } from './tracing.ts';

const exporter = new InMemorySpanExporter();
const tracing = startTracing({ serviceName: 'test', exporter });
afterAll(() => tracing.shutdown());

describe('tracing', () => {
  it('puts the active span’s trace and span ids on every log line written inside it', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger(
      { service: 'test', level: 'info' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    );
    logger.info('outside');
    const ids = await inSpan('work', {}, async (span) => {
      logger.info('inside');
      return span.spanContext();
    });
    expect(lines[0]).not.toHaveProperty('trace_id');
    expect(lines[1]).toMatchObject({ msg: 'inside', trace_id: ids.traceId, span_id: ids.spanId });
  });

  it('continues a trace from a traceparent, and hands on its own', async () => {
    const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const handed = await inSpan('child', { parent: contextFrom(parent) }, async () => traceparentOf());
    expect(handed).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(handed).not.toBe(parent);
    const child = exporter.getFinishedSpans().find((span) => span.name === 'child');
    expect(child?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
  });

  it('records a failure on its span', async () => {
    await expect(inSpan('failing', {}, async () => Promise.reject(new Error('nope')))).rejects.toThrow('nope');
    const failed = exporter.getFinishedSpans().find((span) => span.name === 'failing');
    expect(failed?.status.code).toBe(2);
    expect(failed?.events.map((event) => event.name)).toContain('exception');
  });
});
