/** The intake service on an embedded store and bus, with a local signing key: for route tests. */
import { buildTestApp } from '@buergerkoffer/shared/testing';
import { definition } from '../src/service.ts';

export const intakeApp = () => buildTestApp(definition);
