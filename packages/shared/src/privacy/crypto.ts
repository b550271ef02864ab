/**
 * Personal data in events is encrypted with a key per data subject (AES-256-GCM), so deleting the key erases it
 * everywhere the ciphertext went — the store, Kafka topics, backups — while the events keep their shape.
 *
 * A sealed value is a self-describing envelope:
 *   { "$pd": "v1", "sub": "<subject id>", "iv": "<base64 12 bytes>", "ct": "<base64 ciphertext ‖ 16-byte tag>" }
 * The plaintext is the value's JSON; the additional data binds it to its tenant and subject.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const ERASED = '[erased]';
/** A sealed value that does not authenticate (altered, or moved from another event or field). */
export const UNREADABLE = '[unreadable]';
const VERSION = 'v1';

export interface SealedValue {
  readonly $pd: typeof VERSION;
  readonly sub: string;
  readonly iv: string;
  readonly ct: string;
}

export const isSealed = (value: unknown): value is SealedValue =>
  typeof value === 'object' &&
  value !== null &&
  (value as Record<string, unknown>).$pd === VERSION &&
  typeof (value as Record<string, unknown>).sub === 'string' &&
  typeof (value as Record<string, unknown>).ct === 'string';

/** Additional data: the value belongs to this tenant and subject — and, for event fields, to this event and path. */
const aad = (tenantId: string, subjectId: string, binding: string) =>
  Buffer.from(`${tenantId}\u001f${subjectId}\u001f${binding}`);

/** Seals a value; `binding` (e.g. `<event id>/<field path>`) ties it to its place, so it cannot be moved elsewhere. */
export function seal(key: Buffer, tenantId: string, subjectId: string, value: unknown, binding = ''): SealedValue {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad(tenantId, subjectId, binding));
  const ct = Buffer.concat([cipher.update(JSON.stringify(value ?? null), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { $pd: VERSION, sub: subjectId, iv: iv.toString('base64'), ct: ct.toString('base64') };
}

export function unseal(key: Buffer, tenantId: string, sealed: SealedValue, binding = ''): unknown {
  const data = Buffer.from(sealed.ct, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
  decipher.setAAD(aad(tenantId, sealed.sub, binding));
  decipher.setAuthTag(data.subarray(data.length - 16));
  const plain = Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]);
  return JSON.parse(plain.toString('utf8'));
}

/** Wraps subject keys with the master key (key-encryption key), so the key table alone reveals nothing. */
export function wrapKey(masterKey: Buffer, tenantId: string, subjectId: string, key: Buffer): Buffer {
  const sealed = seal(masterKey, tenantId, subjectId, key.toString('base64'));
  return Buffer.concat([Buffer.from(sealed.iv, 'base64'), Buffer.from(sealed.ct, 'base64')]);
}

export function unwrapKey(masterKey: Buffer, tenantId: string, subjectId: string, wrapped: Uint8Array): Buffer {
  const bytes = Buffer.from(wrapped);
  const sealed: SealedValue = {
    $pd: VERSION,
    sub: subjectId,
    iv: bytes.subarray(0, 12).toString('base64'),
    ct: bytes.subarray(12).toString('base64'),
  };
  return Buffer.from(String(unseal(masterKey, tenantId, sealed)), 'base64');
}

/** Parses a 32-byte master key given as base64 (e.g. from PD_MASTER_KEY). */
export function parseMasterKey(base64: string): Buffer {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32) throw new Error(`the master key must be 32 bytes of base64, got ${key.length} bytes`);
  return key;
}
