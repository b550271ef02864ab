/**
 * `kit record <kind> …` and `kit record --jsonl <file|->`: every record given is made (records.ts) and checked
 * before anything is stored; if one is invalid, the fields at fault are named and nothing is stored. Then all are
 * stored in one transaction, numbered, and their submission ids printed — only after the commit, so an id printed
 * is an id kept. A whole input is taken in or not at all: running it again after a failure never doubles a record.
 */
import type { SyncRecord } from '@buergerkoffer/shared/contracts';
import { EXIT, type Io } from './io.ts';
import { buildRecord, describeFieldError, type FieldError, isoWithOffset } from './records.ts';
import type { KitStore } from './store.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface RecordDeps {
  readonly store: KitStore;
  readonly io: Io;
  readonly deviceId: string;
  readonly now: () => Date;
  readonly newId: (now: Date) => string;
  /** Minutes east of UTC at an instant (the kit's own zone: -date.getTimezoneOffset()). */
  readonly offsetMinutes: (at: Date) => number;
}

export interface RecordInput {
  /** Where it came from, for messages: `line 3`, or `record` for the command line. */
  readonly label: string;
  readonly input: unknown;
}

/** JSONL as inputs, blank lines skipped; a line that is not JSON is named, never repeated (it may be personal). */
export function parseJsonLines(text: string): { inputs: RecordInput[]; errors: string[] } {
  const inputs: RecordInput[] = [];
  const errors: string[] = [];
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === '') continue;
    try {
      inputs.push({ label: `line ${i + 1}`, input: JSON.parse(line) });
    } catch {
      errors.push(`line ${i + 1}: not valid JSON (one JSON object per line)`);
    }
  }
  return { inputs, errors };
}

export async function runRecord(deps: RecordDeps, inputs: readonly RecordInput[], fromFlags: boolean): Promise<number> {
  const { store, io } = deps;
  if (inputs.length === 0) {
    io.err('record: nothing to record (no records in the input)');
    return EXIT.usage;
  }
  const now = deps.now();
  const capturedAt = isoWithOffset(now, deps.offsetMinutes(now));
  const built: SyncRecord[] = [];
  const problems: { label: string; errors: FieldError[] }[] = [];
  for (const { label, input } of inputs) {
    const visitId = typeof input === 'object' && input !== null && 'visitId' in input ? input.visitId : undefined;
    const known = typeof visitId === 'string' && UUID.test(visitId);
    const manifests = known ? await store.manifestsWithVisit(visitId) : [];
    const lastSeenVersion = known ? await store.lastSeenVersion(visitId) : undefined;
    const result = buildRecord(input, {
      submissionId: deps.newId(now),
      deviceId: deps.deviceId,
      capturedAt,
      sequence: 1, // a stand-in: the store numbers it in the transaction that keeps it
      manifests,
      lastSeenVersion,
    });
    if (!result.ok) {
      problems.push({ label, errors: result.errors });
      continue;
    }
    built.push(result.record);
    if (result.visitGone)
      io.err(
        `record: note: ${label}: visit ${result.record.visitId} is in no manifest held any more (cancelled or moved?): recorded on its last version seen, ${result.record.baseVersion}; the office will review it`,
      );
    const visit = manifests.flatMap((m) => m.visits).find((v) => v.visitId === result.record.visitId);
    if (visit && !visit.staffIds.includes(result.record.recordedBy))
      io.err(`record: note: ${label}: recordedBy is not on the visit's staff in the manifest held`);
  }
  if (problems.length > 0) {
    for (const { label, errors } of problems)
      for (const error of errors) io.err(`record: ${label}: ${describeFieldError(error, fromFlags)}`);
    io.err(`record: nothing stored (${problems.length} of ${inputs.length} invalid)`);
    return EXIT.usage;
  }
  if (built.length > 1) io.err(`record: storing ${built.length} records`);
  const stored = await store.append(
    deps.deviceId,
    built.map((record) => (sequence: number) => ({ ...record, sequence })),
    now.toISOString(),
  );
  for (const record of stored) io.out(record.submissionId);
  return EXIT.ok;
}
