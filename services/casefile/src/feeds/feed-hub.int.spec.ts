/**
 * The hub under failure, on the real embedded engine and a real HTTP client: an event that cannot be rendered ends
 * that client's stream (it resumes) instead of the process; a failed store subscription is followed by a new one.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type EventHandler,
  type EventStore,
  PostgresEventStore,
  type StoredEvent,
  type SubscribeOptions,
  uuidv7,
} from '@buergerkoffer/shared/event-sourcing';
import { openEventStream } from '@buergerkoffer/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { FeedHub, type FeedSpec } from './feed-hub.ts';

const tenantId = 'bochum';
const append = (store: EventStore, note: string) =>
  store.append(`intakeCase-${uuidv7()}`, [{ id: uuidv7(), type: 'Noted', data: { note }, metadata: { tenantId } }]);

async function serve(hub: FeedHub, spec: (from: number) => FeedSpec): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const from = Number(request.headers['last-event-id'] ?? hub.position);
    hub.connect(response, spec(from), from).catch(() => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('the live feed hub under failure', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('ends only the stream whose event could not be rendered; the client resumes and gets it', async () => {
    const store = await PostgresEventStore.embedded(undefined, { pollIntervalMs: 100 });
    const errors: unknown[] = [];
    const hub = new FeedHub(store, {}, { error: (object) => errors.push(object) });
    await hub.start();
    let failOnce = true;
    const { server, url } = await serve(hub, () => ({
      tenantId,
      subject: 'ui',
      matches: () => true,
      readAfter: (after, limit) => store.readAll({ afterPosition: after, limit }),
      render: async (event: StoredEvent) => {
        if ((event.data as { note: string }).note === 'poison' && failOnce) {
          failOnce = false;
          throw new Error('key store unreachable');
        }
        return JSON.stringify(event.data);
      },
    }));
    cleanups.push(async () => {
      await hub.stop();
      server.close();
      await store.close();
    });
    const feed = openEventStream(url, {});
    await feed.until(() => feed.comments > 0);
    const ok = await append(store, 'fine');
    const poison = await append(store, 'poison');
    await feed.done; // the server ended this stream…
    expect(feed.events.map((e) => e.id)).toEqual([String(ok.position), undefined]);
    expect(feed.events.at(-1)?.event).toBe('overflow');
    expect(errors).toHaveLength(1);
    // …and the process lives on: resuming delivers the event that failed before.
    const again = openEventStream(url, { 'last-event-id': String(ok.position) });
    await again.until(() => again.events.length >= 1);
    again.close();
    expect(again.events[0]?.id).toBe(String(poison.position));
  });

  it('subscribes again after its store subscription failed, and feeds new clients from there', async () => {
    const inner = await PostgresEventStore.embedded(undefined, { pollIntervalMs: 100 });
    let subscriptions = 0;
    // The store's subscription fails once, as when the database restarts under it.
    const store: EventStore = Object.assign(Object.create(inner) as EventStore, {
      subscribe: (options: SubscribeOptions, handler: EventHandler) => {
        const attempt = ++subscriptions;
        return inner.subscribe(options, async (event) => {
          if (attempt === 1) throw new Error('connection terminated');
          await handler(event);
        });
      },
    });
    const hub = new FeedHub(store, { resubscribeMs: [50, 200] }, { error: () => undefined });
    await hub.start();
    const { server, url } = await serve(hub, () => ({
      tenantId,
      subject: 'ui',
      matches: () => true,
      readAfter: (after, limit) => inner.readAll({ afterPosition: after, limit }),
      render: async (event: StoredEvent) => JSON.stringify(event.data),
    }));
    cleanups.push(async () => {
      await hub.stop();
      server.close();
      await inner.close();
    });
    const first = await append(inner, 'during the failure');
    await expect.poll(() => subscriptions, { timeout: 5_000 }).toBe(2);
    await expect.poll(() => hub.live, { timeout: 30_000 }).toBe(true);
    const feed = openEventStream(url, { 'last-event-id': '0' });
    const later = await append(inner, 'after');
    await feed.until(() => feed.events.length >= 2);
    feed.close();
    expect(feed.events.map((e) => Number(e.id))).toEqual([first.position, later.position]);
  });
});
