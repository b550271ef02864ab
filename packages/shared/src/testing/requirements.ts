import { describe, inject } from 'vitest';
import type { InfraName, Resolved } from './infra.ts';

/** The resolved component, or undefined (with the reason printed once) when it is unavailable. */
export function infra(name: InfraName): Resolved {
  return inject('infra')[name];
}

/**
 * A describe block that runs only where `name` is available. Where it is not, the block is reported as skipped
 * with the reason in its title — never silently — and in CI the global setup has already failed the run for
 * Kafka and PostgreSQL, so only KurrentDB can be skipped there.
 */
export function describeWith(name: InfraName, title: string, body: (url: string) => void): void {
  const resolved = infra(name);
  if (resolved.available) {
    describe(title, () => body(resolved.url));
  } else {
    describe.skipIf(true)(`${title} — NOT RUN: ${name} unavailable (${resolved.reason})`, () => body(''));
  }
}

/** Like describeWith, for suites that need several components (e.g. Kafka and PostgreSQL): runs only where all are. */
export function describeWithAll(
  names: readonly InfraName[],
  title: string,
  body: (urls: Readonly<Record<InfraName, string>>) => void,
): void {
  const urls: Record<InfraName, string> = { kafka: '', postgres: '', kurrentdb: '' };
  const missing: string[] = [];
  for (const name of names) {
    const resolved = infra(name);
    if (resolved.available) urls[name] = resolved.url;
    else missing.push(`${name} (${resolved.reason})`);
  }
  if (missing.length === 0) describe(title, () => body(urls));
  else describe.skipIf(true)(`${title} — NOT RUN: unavailable: ${missing.join('; ')}`, () => body(urls));
}
