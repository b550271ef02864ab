/** The casefile service on the PostgreSQL server: the same behaviour as embedded. */
import { pgSql } from '@buergerkoffer/shared/event-sourcing';
import { describeWith, useTestDatabase } from '@buergerkoffer/shared/testing';
import { casefileSuite } from './casefile.suite.ts';

describeWith('postgres', 'casefile on the PostgreSQL server', (serverUrl) => {
  const db = useTestDatabase(serverUrl);
  casefileSuite(async () => pgSql(db.url));
});
