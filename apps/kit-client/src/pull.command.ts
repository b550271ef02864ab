/**
 * `kit pull [--date D]`: the day's manifest, asked for with the version held (If-None-Match), stored whole, and
 * summarised. The summary shows ids, times, staff ids and services; the participants' names, birth dates and
 * addresses only with --show (a kit's screen is seen by others, its logs are kept).
 */
import type { Manifest } from '@buergerkoffer/shared/contracts';
import { EXIT, type Io } from './io.ts';
import type { KitApi } from './kit-api.ts';
import { withRetry } from './retry.ts';
import type { KitStore } from './store.ts';
import { describeProblem } from './sync.command.ts';

export interface PullDeps {
  readonly store: KitStore;
  readonly api: KitApi;
  readonly io: Io;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

export interface PullOptions {
  readonly kitId: string;
  readonly date: string;
  readonly show: boolean;
  readonly deadlineMs: number;
  readonly requestTimeoutMs: number;
}

const addressText = (address: string | Record<string, string>) =>
  typeof address === 'string' ? address : Object.values(address).join(', ');

/** The manifest as lines for the screen; personal data only when `show`. */
export function summariseManifest(manifest: Manifest, show: boolean): string[] {
  const participants = manifest.visits.reduce((sum, visit) => sum + visit.participants.length, 0);
  const lines = [
    `manifest ${manifest.date} (version ${manifest.version}): ${manifest.visits.length} visit${manifest.visits.length === 1 ? '' : 's'}, ${participants} participant${participants === 1 ? '' : 's'}`,
  ];
  for (const visit of manifest.visits) {
    lines.push(
      `visit ${visit.visitId} ${visit.start} – ${visit.end} ${visit.status}${visit.groupVisit ? ' (group visit)' : ''}, version ${visit.version}`,
      `  staff ${visit.staffIds.join(', ') || '–'}; devices ${visit.devicesNeeded.join(', ') || '–'}`,
    );
    for (const participant of visit.participants) {
      lines.push(
        `  case ${participant.caseId}: ${participant.services.map((s) => s.service).join(', ') || 'no services'}`,
      );
      if (show)
        lines.push(
          `    ${participant.reference}: ${participant.givenNames} ${participant.familyName}, born ${participant.birthDate}, ${addressText(participant.address)}`,
        );
    }
  }
  return lines;
}

export async function runPull(deps: PullDeps, options: PullOptions): Promise<number> {
  const { store, api, io } = deps;
  const held = await store.findManifest(options.date);
  const outcome = await withRetry((timeoutMs) => api.manifest(options.date, held?.version, timeoutMs), {
    deadlineAt: deps.now() + options.deadlineMs,
    requestTimeoutMs: options.requestTimeoutMs,
    now: deps.now,
    sleep: deps.sleep,
    random: deps.random,
    onRetry: (reason, delayMs) => io.err(`pull: no answer (${reason}); retrying in ${(delayMs / 1000).toFixed(1)} s`),
  });
  switch (outcome.kind) {
    case 'deadline':
      io.err(
        `pull: no answer before the deadline (${outcome.reason})${held ? `; the manifest held (version ${held.version}) stays` : ''}`,
      );
      return EXIT.tempFail;
    case 'unauthorised':
      io.err(`pull: not authorised: ${describeProblem(outcome.problem)} (a kit-device token for this kit?)`);
      return EXIT.noPerm;
    case 'failed':
      io.err(`pull: refused: ${describeProblem(outcome.problem)}`);
      return EXIT.failed;
    case 'not-modified':
      if (!held) {
        io.err('pull: the server answered 304 Not Modified to a request for a manifest not held');
        return EXIT.failed;
      }
      io.err(`pull: the manifest for ${options.date} is unchanged (version ${held.version})`);
      for (const line of summariseManifest(held, options.show)) io.out(line);
      return EXIT.ok;
    case 'ok': {
      const manifest = outcome.value;
      if (manifest.kitId !== options.kitId || manifest.date !== options.date) {
        io.err(`pull: the server answered with the manifest of another kit or day (${manifest.date}); not stored`);
        return EXIT.failed;
      }
      await store.saveManifest(manifest, new Date(deps.now()).toISOString());
      for (const line of summariseManifest(manifest, options.show)) io.out(line);
      return EXIT.ok;
    }
    default: {
      const _exhaustive: never = outcome;
      return _exhaustive;
    }
  }
}
