/** Booking on the PostgreSQL server: the same behaviour as embedded. */
import { pgSql } from '@buergerkoffer/shared/event-sourcing';
import { describeWith, useTestDatabase } from '@buergerkoffer/shared/testing';
import { bookingSuite } from './booking.suite.ts';

describeWith('postgres', 'scheduling on the PostgreSQL server', (serverUrl) => {
  const db = useTestDatabase(serverUrl);
  bookingSuite(async () => pgSql(db.url));
});
