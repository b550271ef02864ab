/**
 * Human case references, `MB-<year>-<number>`: unique per tenant and year, also under concurrency. Each number is an
 * event in the stream `caseReference-<tenant>.<year>`, appended at the revision its writer read: two writers cannot
 * both take the same revision, the loser retries with the next one.
 */
import { type EventStore, uuidv7, VersionConflictError } from '@buergerkoffer/shared/event-sourcing';

export const referenceStream = (tenantId: string, year: number): string =>
  `caseReference-${tenantId.replace(/[^A-Za-z0-9._:@-]/g, '_')}.${year}`;

export const formatReference = (year: number, number: number): string =>
  `MB-${year}-${String(number).padStart(5, '0')}`;

export async function allocateReference(
  store: EventStore,
  input: { tenantId: string; caseId: string; year: number; actor: { id: string; role: string } },
  attempts = 50,
): Promise<string> {
  const stream = referenceStream(input.tenantId, input.year);
  for (let attempt = 0; attempt < attempts; attempt++) {
    const [last] = await store.readStream(stream, { direction: 'backwards', limit: 1 });
    const revision = last?.revision ?? -1;
    const reference = formatReference(input.year, revision + 2);
    try {
      await store.append(
        stream,
        [
          {
            id: uuidv7(),
            type: 'CaseReferenceAssigned',
            data: { reference, caseId: input.caseId },
            metadata: { tenantId: input.tenantId, caseId: input.caseId, actor: input.actor },
          },
        ],
        revision < 0 ? 'no-stream' : { revision },
      );
      return reference;
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }
  throw new Error(`no case reference after ${attempts} attempts (stream ${stream} is contended)`);
}
