/** A case's visits in casefile, on the PostgreSQL server: the same behaviour as embedded. */
import { pgSql } from '@buergerkoffer/shared/event-sourcing';
import { describeWith, useTestDatabase } from '@buergerkoffer/shared/testing';
import { visitsSuite } from './visits.suite.ts';

describeWith('postgres', 'visits in casefile on the PostgreSQL server', (serverUrl) => {
  const db = useTestDatabase(serverUrl);
  visitsSuite(async () => pgSql(db.url));
});
