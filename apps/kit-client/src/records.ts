/**
 * Making a record as the kit keeps and sends it: the record's own fields (as typed on the command line or one line
 * of JSONL) plus what only the kit knows — the submission id (made once, now), the device, the visit's version in
 * the manifests held (its `baseVersion`), the time and the sequence number. Checked against the strict contract, so
 * a `photo`, `pin` or any other field it does not have is refused by name before anything is stored. Pure: ids,
 * time, the sequence and the manifests come in as arguments.
 */
import { type Manifest, type SyncRecord, syncRecord } from '@buergerkoffer/shared/contracts';
import { z } from 'zod';

const uuid = z.uuid();

/** The fields the client fills in; an input that brings its own is refused (they are the kit's to set). */
export const CLIENT_FILLED = ['submissionId', 'deviceId', 'baseVersion', 'capturedAt', 'sequence'] as const;

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export type Built =
  | {
      readonly ok: true;
      readonly record: SyncRecord;
      /** The visit is in no manifest held any more (cancelled, moved): its base is the last version the kit saw. */
      readonly visitGone: boolean;
    }
  | { readonly ok: false; readonly errors: FieldError[] };

export interface RecordContext {
  readonly submissionId: string;
  readonly deviceId: string;
  /** ISO 8601 with offset. */
  readonly capturedAt: string;
  readonly sequence: number;
  /** The manifests held that contain the record's visit (any order). */
  readonly manifests: readonly Manifest[];
  /**
   * The highest version of the visit any manifest pulled ever gave it — kept when a later pull no longer has the
   * visit (the office cancelled or moved it), so a record made on it still goes to the office, as a conflict to
   * review, instead of being lost on the kit.
   */
  readonly lastSeenVersion?: number | undefined;
}

/**
 * The visit's version in the manifests held: the highest any of them gives it (a visit moved to another day may be
 * in two; its version only grows, so the highest is the newest knowledge). Undefined: no manifest held has it.
 */
export function visitVersionIn(manifests: readonly Manifest[], visitId: string): number | undefined {
  let version: number | undefined;
  for (const manifest of manifests)
    for (const visit of manifest.visits)
      if (visit.visitId === visitId && (version === undefined || visit.version > version)) version = visit.version;
  return version;
}

type Issue = { readonly path: readonly PropertyKey[]; readonly message: string; readonly code: string };

/** Zod's issues as the fields they name (an unknown key named by itself), as the server answers `rejected`. */
export function fieldErrors(issues: readonly Issue[]): FieldError[] {
  return issues.flatMap((issue) => {
    const at = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys' && 'keys' in issue && Array.isArray(issue.keys))
      return issue.keys.map((key: unknown) => ({
        field: at ? `${at}.${String(key)}` : String(key),
        message: 'not a field of this record (biometrics, photos and PINs never enter the system)',
      }));
    return [{ field: at || '(record)', message: issue.message }];
  });
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The record from its own fields and the kit's context; the errors name every field at fault. */
export function buildRecord(input: unknown, context: RecordContext): Built {
  if (!isObject(input)) return { ok: false, errors: [{ field: '(record)', message: 'expected a JSON object' }] };
  const errors: FieldError[] = CLIENT_FILLED.filter((field) => field in input).map((field) => ({
    field,
    message: 'filled in by the kit client: leave it out',
  }));
  const visitId = input.visitId;
  const held = typeof visitId === 'string' ? visitVersionIn(context.manifests, visitId) : undefined;
  const baseVersion = held ?? context.lastSeenVersion;
  if (typeof visitId === 'string' && baseVersion === undefined && uuid.safeParse(visitId).success)
    errors.push({
      field: 'visitId',
      message: 'no manifest pulled has this visit: run `pnpm kit pull --date <its day>` first',
    });
  const candidate = {
    ...input,
    submissionId: context.submissionId,
    deviceId: context.deviceId,
    baseVersion: baseVersion ?? 0,
    capturedAt: context.capturedAt,
    sequence: context.sequence,
  };
  const parsed = syncRecord.safeParse(candidate);
  if (!parsed.success) errors.push(...fieldErrors(parsed.error.issues));
  if (errors.length > 0 || !parsed.success) return { ok: false, errors };
  return { ok: true, record: parsed.data, visitGone: held === undefined };
}

/** The record kinds `record <kind>` takes on the command line. */
export const RECORD_KINDS = [
  'visit-started',
  'visit-ended',
  'device-check',
  'service-completed',
  'service-not-completed',
] as const satisfies readonly SyncRecord['kind'][];

/** The command-line flag each field comes from (for messages that name what the user typed). */
export const FLAG_OF: Readonly<Record<string, string>> = {
  visitId: '--visit',
  recordedBy: '--by',
  phase: '--phase',
  devices: '--devices',
  caseId: '--case',
  service: '--service',
  feeCents: '--fee',
  paymentMethod: '--payment',
  producerReference: '--reference',
  reason: '--reason',
};

export interface RecordFlags {
  readonly visit?: string | undefined;
  readonly by?: string | undefined;
  readonly phase?: string | undefined;
  readonly devices?: string | undefined;
  readonly case?: string | undefined;
  readonly service?: string | undefined;
  readonly fee?: string | undefined;
  readonly payment?: string | undefined;
  readonly reference?: string | undefined;
  readonly reason?: string | undefined;
}

/**
 * `record <kind> --visit … --by …` as the record's own fields: only the flags given (a flag the kind does not have
 * becomes a field the strict contract refuses by name). `--devices camera=ok,printer=faulty`; `--fee` in cents.
 */
export function recordInputFromFlags(kind: string, flags: RecordFlags): Record<string, unknown> {
  const input: Record<string, unknown> = { kind };
  const set = (field: string, value: unknown) => {
    if (value !== undefined) input[field] = value;
  };
  set('visitId', flags.visit);
  set('recordedBy', flags.by);
  set('phase', flags.phase);
  set(
    'devices',
    flags.devices?.split(',').map((entry) => {
      const [device = '', status] = entry.trim().split('=');
      return { device, status };
    }),
  );
  set('caseId', flags.case);
  set('service', flags.service);
  set('feeCents', flags.fee === undefined ? undefined : /^-?\d+$/.test(flags.fee) ? Number(flags.fee) : flags.fee);
  set('paymentMethod', flags.payment);
  set('producerReference', flags.reference);
  set('reason', flags.reason);
  return input;
}

/** `field (--flag): message` when the field came from a flag. */
export function describeFieldError(error: FieldError, withFlags: boolean): string {
  const top = error.field.split('.')[0] ?? error.field;
  const flag = withFlags ? FLAG_OF[top] : undefined;
  return `${error.field}${flag ? ` (${flag})` : ''}: ${error.message}`;
}

/** An instant as ISO 8601 with the given offset from UTC (minutes east), e.g. `2026-06-03T10:15:00.123+02:00`. */
export function isoWithOffset(at: Date, offsetMinutes: number): string {
  const local = new Date(at.getTime() + offsetMinutes * 60_000).toISOString().slice(0, -1);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** The calendar day (YYYY-MM-DD) of an instant in a time zone (the office's: Europe/Berlin). */
export function dayIn(at: Date, timeZone = 'Europe/Berlin'): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  const get = (type: string) => parts.formatToParts(at).find((part) => part.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** A YYYY-MM-DD that names a real day. */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const at = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 10) === text;
}
