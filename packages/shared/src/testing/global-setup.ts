/**
 * Vitest global setup for the tiers that need real infrastructure (contracts, e2e): resolves Kafka, PostgreSQL and
 * KurrentDB once per run, hands the result to every test file (`inject('infra')`), stops what it started.
 */
import type { TestProject } from 'vitest/node';
import { describeResolution, type ResolvedInfra, requiredButMissing, resolveInfrastructure } from './infra.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    infra: ResolvedInfra;
  }
}

const INFRA_TIERS = ['contracts', 'e2e'];

const say = (line: string): void => void process.stderr.write(`${line}\n`);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Only the tiers that talk to real infrastructure need it: a unit or integration run starts nothing.
  const needing = project.vitest.projects.filter((p) => INFRA_TIERS.includes(p.name));
  if (needing.length === 0) {
    const reason = 'not resolved: no selected test tier needs it';
    project.provide('infra', {
      runId: 'none',
      kafka: { available: false, reason },
      postgres: { available: false, reason },
      kurrentdb: { available: false, reason },
    });
    return async () => undefined;
  }
  const { infra, stop } = await resolveInfrastructure(process.env);
  for (const line of describeResolution(infra)) say(line);
  const missing = requiredButMissing(infra, process.env);
  if (missing.length > 0) {
    await stop();
    throw new Error(`CI=true and required infrastructure is missing:\n  ${missing.join('\n  ')}`);
  }
  project.provide('infra', infra);
  return async () => {
    await stop();
    if (!infra.kurrentdb.available) say(`infra: reminder — KurrentDB suites were NOT RUN: ${infra.kurrentdb.reason}`);
  };
}
