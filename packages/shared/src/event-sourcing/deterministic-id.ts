import { createHash } from 'node:crypto';

/**
 * A UUID (version 8, RFC 9562) that is a SHA-256 of `parts`: the same parts always give the same id — e.g. the id of
 * an event a consumer appends in reaction to a message, so a redelivery is absorbed by the idempotent append.
 */
export function deterministicId(...parts: readonly string[]): string {
  const bytes = createHash('sha256').update(parts.join('\u001f')).digest().subarray(0, 16);
  bytes[6] = 0x80 | ((bytes[6] ?? 0) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
