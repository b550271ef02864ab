/** A case's visits in casefile, on the embedded PostgreSQL engine (PGlite). */
import { pgliteSql } from '@buergerkoffer/shared/event-sourcing';
import { PGlite } from '@electric-sql/pglite';
import { describe } from 'vitest';
import { visitsSuite } from './visits.suite.ts';

describe('visits in casefile on PGlite', () => {
  visitsSuite(async () => pgliteSql(await PGlite.create()));
});
