/**
 * `kit status [--json]`: what the kit holds, offline — pending and answered records, the last sync attempt, success
 * and error, the records that need the office (recorded as conflicts) or the kit (refused, id reused), and the
 * manifests held. Ids and codes only: nothing personal.
 */
import { EXIT, type Io } from './io.ts';
import type { StoreStatus } from './store.ts';

type Mutable<T extends readonly unknown[]> = T[number][];

export interface StatusView {
  readonly dataDir: string;
  readonly kitId: string | null;
  readonly deviceId: string | null;
  readonly pending: number;
  readonly answered: StoreStatus['answered'];
  readonly duplicates: number;
  readonly lastAttemptAt: string | null;
  readonly lastSuccessAt: string | null;
  readonly lastError: { readonly at: string; readonly message: string } | null;
  readonly conflicts: readonly {
    submissionId: string;
    visitId: string;
    sequence: number;
    conflictId: string;
    severity: string;
    fields: readonly string[];
  }[];
  readonly rejected: readonly {
    submissionId: string;
    visitId: string;
    sequence: number;
    errors: readonly { field: string; message: string }[];
  }[];
  readonly reused: readonly { submissionId: string; visitId: string; sequence: number; detail: string }[];
  readonly manifests: StoreStatus['manifests'];
}

export function statusView(dataDir: string, status: StoreStatus): StatusView {
  const conflicts: Mutable<StatusView['conflicts']> = [];
  const rejected: Mutable<StatusView['rejected']> = [];
  const reused: Mutable<StatusView['reused']> = [];
  for (const item of status.attention) {
    const ids = { submissionId: item.submissionId, visitId: item.visitId, sequence: item.sequence };
    const answer = item.answer;
    switch (answer.status) {
      case 'recorded-as-conflict':
        conflicts.push({ ...ids, conflictId: answer.conflictId, severity: answer.severity, fields: answer.fields });
        break;
      case 'rejected':
        rejected.push({ ...ids, errors: answer.errors });
        break;
      case 'conflict':
        reused.push({ ...ids, detail: answer.detail });
        break;
      case 'accepted':
        break;
      default: {
        const _exhaustive: never = answer;
        return _exhaustive;
      }
    }
  }
  return {
    dataDir,
    kitId: status.kitId ?? null,
    deviceId: status.deviceId ?? null,
    pending: status.pending,
    answered: status.answered,
    duplicates: status.duplicates,
    lastAttemptAt: status.lastAttemptAt ?? null,
    lastSuccessAt: status.lastSuccessAt ?? null,
    lastError: status.lastError ?? null,
    conflicts,
    rejected,
    reused,
    manifests: status.manifests,
  };
}

export function formatStatus(view: StatusView): string[] {
  const a = view.answered;
  const lines = [
    `kit ${view.kitId ?? '(not yet bound)'}, device ${view.deviceId ?? '(not yet bound)'}, data in ${view.dataDir}`,
    `pending: ${view.pending}`,
    `answered: ${a.accepted} accepted, ${a['recorded-as-conflict']} recorded as conflicts, ${a.rejected} rejected, ${a.conflict} submission ids reused${view.duplicates ? ` (${view.duplicates} answered as duplicates of an earlier upload)` : ''}`,
    `last sync attempt: ${view.lastAttemptAt ?? 'never'}; last success: ${view.lastSuccessAt ?? 'never'}`,
  ];
  if (view.lastError) lines.push(`last error (${view.lastError.at}): ${view.lastError.message}`);
  if (view.conflicts.length > 0) {
    lines.push('recorded as conflicts (for the office to review):');
    for (const c of view.conflicts)
      lines.push(
        `  ${c.submissionId} visit ${c.visitId} #${c.sequence}: ${c.severity}, fields ${c.fields.join(', ') || '–'} (conflict ${c.conflictId})`,
      );
  }
  if (view.rejected.length > 0) {
    lines.push('rejected:');
    for (const r of view.rejected)
      lines.push(
        `  ${r.submissionId} visit ${r.visitId} #${r.sequence}: ${r.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
      );
  }
  if (view.reused.length > 0) {
    lines.push('submission id reused (not kept):');
    for (const r of view.reused) lines.push(`  ${r.submissionId} visit ${r.visitId} #${r.sequence}: ${r.detail}`);
  }
  lines.push(view.manifests.length > 0 ? 'manifests held:' : 'manifests held: none');
  for (const m of view.manifests)
    lines.push(`  ${m.date} version ${m.version}: ${m.visits} visits, pulled ${m.pulledAt}`);
  return lines;
}

export function runStatus(io: Io, dataDir: string, status: StoreStatus, json: boolean): number {
  const view = statusView(dataDir, status);
  if (json) io.out(JSON.stringify(view));
  else for (const line of formatStatus(view)) io.out(line);
  return EXIT.ok;
}
