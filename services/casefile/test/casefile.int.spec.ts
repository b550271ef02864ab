/** The casefile service on the embedded PostgreSQL engine (PGlite). */
import { pgliteSql } from '@buergerkoffer/shared/event-sourcing';
import { PGlite } from '@electric-sql/pglite';
import { describe } from 'vitest';
import { casefileSuite } from './casefile.suite.ts';

describe('casefile on PGlite', () => {
  casefileSuite(async () => pgliteSql(await PGlite.create()));
});
