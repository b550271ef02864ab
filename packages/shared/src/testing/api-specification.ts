/**
 * API specifications on `app.inject`, in the form of the decider specifications (decider-specification.ts): given
 * the streams that exist, when a request is made, expect its answer and the events it appended (`expect`, not
 * `then`: an object with a `then` would be taken for a promise). And `isIdempotent`,
 * which every write endpoint of a service is checked with: the same request with the same Idempotency-Key answers
 * the same and appends nothing more — replayed from the HTTP record, and again once that record is gone (a crash
 * before the key was completed, or its 24 hours over), when only the events' ids derived from the key protect it.
 * `uncheckedWriteRoutes()` names the write routes no `isIdempotent` has covered, so a new endpoint cannot skip it.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { EventToAppend, StoredEvent } from '../event-sourcing/types.ts';
import type { Role } from '../http/auth.ts';
import type { TestApp } from './test-app.ts';

export interface ApiRequest {
  readonly method: 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'GET';
  readonly url: string;
  readonly role?: Role;
  readonly tenantId?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly payload?: unknown;
}

export interface ApiAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, unknown>>;
  // The parsed JSON, as `inject().json()` gives it: tests assert on it field by field.
  readonly body: ReturnType<typeof JSON.parse>;
}

/** What a request should have answered and appended (events: in order, each matched as a partial object). */
export interface ApiExpectation {
  readonly status: number;
  readonly body?: unknown;
  readonly events?: readonly { readonly type: string; readonly stream?: string; readonly data?: unknown }[];
}

export interface ApiSpecification {
  /** Streams appended before the request (as stored; events without an id get one). */
  given(streams?: Readonly<Record<string, readonly Omit<EventToAppend, 'id'>[]>>): {
    when(request: ApiRequest): {
      expect(expected: ApiExpectation): Promise<{ answer: ApiAnswer; events: StoredEvent[] }>;
    };
  };
  /** Sends a request; answers it with the events it appended. */
  send(request: ApiRequest): Promise<{ answer: ApiAnswer; events: StoredEvent[] }>;
  /**
   * The request, sent with an Idempotency-Key, then again with the same key (replayed: same status and body,
   * `Idempotent-Replayed: true`, no new event), then again after the idempotency records were deleted (same status,
   * no new event). Answers the first answer.
   */
  isIdempotent(request: ApiRequest): Promise<ApiAnswer>;
  /** The service's write routes not yet checked by `isIdempotent`. */
  uncheckedWriteRoutes(): string[];
}

export function apiSpecification(fixture: TestApp): ApiSpecification {
  const checked = new Set<string>();

  const send = async (request: ApiRequest) => {
    const head = await fixture.store.headPosition();
    const response = await fixture.app.inject({
      method: request.method,
      url: request.url,
      headers: { ...(await fixture.auth(request.role, request.tenantId)), ...request.headers },
      ...(request.payload === undefined ? {} : { payload: request.payload as object }),
    });
    const type = String(response.headers['content-type'] ?? '');
    const answer: ApiAnswer = {
      status: response.statusCode,
      headers: response.headers,
      body: type.includes('json') ? response.json() : response.body,
    };
    const events = await fixture.store.readAll({ afterPosition: head, limit: 10_000 });
    return { answer, events };
  };

  const expectAnswer = (
    outcome: { answer: ApiAnswer; events: StoredEvent[] },
    expected: ApiExpectation,
    what: string,
  ) => {
    expect(outcome.answer.status, `${what}: status (body ${JSON.stringify(outcome.answer.body)})`).toBe(
      expected.status,
    );
    if (expected.body !== undefined)
      expect(outcome.answer.body, `${what}: body`).toMatchObject(expected.body as object);
    if (expected.events !== undefined) {
      expect(
        outcome.events.map((e) => ({ type: e.type, stream: e.stream, data: e.data })),
        `${what}: events`,
      ).toMatchObject(expected.events);
      expect(outcome.events, `${what}: no other events`).toHaveLength(expected.events.length);
    }
  };

  return {
    given: (streams = {}) => ({
      when: (request) => ({
        expect: async (expected) => {
          for (const [stream, events] of Object.entries(streams)) {
            await fixture.store.append(
              stream,
              events.map((event) => ({ id: randomUUID(), ...event })),
            );
          }
          const outcome = await send(request);
          expectAnswer(outcome, expected, `${request.method} ${request.url}`);
          return outcome;
        },
      }),
    }),
    send,
    isIdempotent: async (request) => {
      const key = `spec-${randomUUID()}`;
      const keyed = { ...request, headers: { ...request.headers, 'idempotency-key': key } };
      const what = `${request.method} ${request.url}`;
      const first = await send(keyed);
      const route = fixture.lastRoute();
      expect(first.answer.status, `${what}: first answer ${JSON.stringify(first.answer.body)}`).toBeLessThan(300);
      expect(first.events.length, `${what}: the first request appends`).toBeGreaterThan(0);

      const replayed = await send(keyed);
      expect(replayed.answer.status, `${what}: replayed status`).toBe(first.answer.status);
      expect(replayed.answer.body, `${what}: replayed body`).toEqual(first.answer.body);
      expect(replayed.answer.headers['idempotent-replayed'], `${what}: marked replayed`).toBe('true');
      expect(replayed.events, `${what}: nothing appended by the replay`).toEqual([]);

      // The HTTP record gone (a crash before the key was completed, or expired): the events' ids protect it.
      await fixture.sql.query('delete from http_idempotency where key = $1', [key]);
      const retried = await send(keyed);
      expect(retried.answer.status, `${what}: status once the record is gone`).toBe(first.answer.status);
      expect(retried.events, `${what}: nothing appended once the record is gone`).toEqual([]);
      if (route) checked.add(route);
      return first.answer;
    },
    uncheckedWriteRoutes: () => fixture.writeRoutes.filter((route) => !checked.has(route)),
  };
}
