/** The day calendars' guarantee on every store: the PostgreSQL server, PGlite, and KurrentDB where one is reachable. */

import { PostgresEventStore, pgliteSql, pgSql } from '@buergerkoffer/shared/event-sourcing';
import { KurrentDbEventStore } from '@buergerkoffer/shared/event-sourcing/kurrentdb';
import { describeWith, useTestDatabase } from '@buergerkoffer/shared/testing';
import { PGlite } from '@electric-sql/pglite';
import { describe } from 'vitest';
import { calendarRaceSuite } from './calendar-race.suite.ts';

describe('the embedded store', () => {
  calendarRaceSuite('PGlite', async () => {
    const sql = pgliteSql(await PGlite.create());
    const store = await PostgresEventStore.open(sql, { ownsConnection: false });
    return {
      store,
      close: async () => {
        await store.close();
        await sql.close();
      },
    };
  });
});

describeWith('postgres', 'the PostgreSQL server', (serverUrl) => {
  const db = useTestDatabase(serverUrl);
  calendarRaceSuite('the PostgreSQL server', async () => {
    const sql = pgSql(db.url);
    const store = await PostgresEventStore.open(sql, { ownsConnection: false });
    return {
      store,
      close: async () => {
        await store.close();
        await sql.close();
      },
    };
  });
});

describeWith('kurrentdb', 'KurrentDB', (url) => {
  calendarRaceSuite('KurrentDB', async () => {
    const store = KurrentDbEventStore.connect(url);
    return { store, close: () => store.close() };
  });
});
