/**
 * Personal data in events is encrypted with a key per data subject (AES-256-GCM), so deleting the key erases it
 * everywhere the ciphertext went — the store, Kafka topics, backups — while the events keep their shape.
 *
 * A sealed value is a self-describing envelope:
 *   { "$pd": "v1", "sub": "<subject id>", "iv": "<base64 12 bytes>", "ct": "<base64 ciphertext ‖ 16-byte tag>" }
 * The plaintext is the value's JSON; the additional data binds it to its tenant and subject.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';

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

/**
 * The key as a KeyObject, made once per key Buffer: a cipher from a KeyObject costs a fifth of one from raw bytes
 * (measured on Node 24: ~2.6 µs against ~13 µs), which dominates opening a page of events. Keys are never changed
 * in place, so a Buffer's KeyObject stays right for as long as the Buffer lives.
 */
const keyObjects = new WeakMap<Buffer, KeyObject>();
export function keyObjectOf(key: Buffer | KeyObject): KeyObject {
  if (!Buffer.isBuffer(key)) return key;
  let object = keyObjects.get(key);
  if (!object) {
    object = createSecretKey(key);
    keyObjects.set(key, object);
  }
  return object;
}

/** Seals a value; `binding` (e.g. `<event id>/<field path>`) ties it to its place, so it cannot be moved elsewhere. */
export function seal(
  key: Buffer | KeyObject,
  tenantId: string,
  subjectId: string,
  value: unknown,
  binding = '',
): SealedValue {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyObjectOf(key), iv);
  cipher.setAAD(aad(tenantId, subjectId, binding));
  const ct = Buffer.concat([cipher.update(JSON.stringify(value ?? null), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { $pd: VERSION, sub: subjectId, iv: iv.toString('base64'), ct: ct.toString('base64') };
}

export function unseal(key: Buffer | KeyObject, tenantId: string, sealed: SealedValue, binding = ''): unknown {
  return JSON.parse(
    decrypt(
      key,
      aad(tenantId, sealed.sub, binding),
      Buffer.from(sealed.iv, 'base64'),
      Buffer.from(sealed.ct, 'base64'),
    ),
  );
}

/** AES-256-GCM decryption of `data` (ciphertext ‖ 16-byte tag) to text; throws when it does not authenticate. */
function decrypt(key: Buffer | KeyObject, additional: Buffer, iv: Buffer, data: Buffer): string {
  const decipher = createDecipheriv('aes-256-gcm', keyObjectOf(key), iv);
  decipher.setAAD(additional);
  decipher.setAuthTag(data.subarray(data.length - 16));
  // GCM's final() yields no bytes, only the check: text straight from update(), no buffers to join.
  const plain = decipher.update(data.subarray(0, data.length - 16), undefined, 'utf8');
  decipher.final();
  return plain;
}

/** Wraps subject keys with the master key (key-encryption key), so the key table alone reveals nothing. */
export function wrapKey(masterKey: Buffer, tenantId: string, subjectId: string, key: Buffer): Buffer {
  const sealed = seal(masterKey, tenantId, subjectId, key.toString('base64'));
  return Buffer.concat([Buffer.from(sealed.iv, 'base64'), Buffer.from(sealed.ct, 'base64')]);
}

export function unwrapKey(masterKey: Buffer, tenantId: string, subjectId: string, wrapped: Uint8Array): Buffer {
  // The wrapped bytes are iv ‖ ciphertext ‖ tag of a sealed value: decrypted in place, without the base64 round trip.
  const bytes = Buffer.from(wrapped.buffer, wrapped.byteOffset, wrapped.byteLength);
  const plain = decrypt(masterKey, aad(tenantId, subjectId, ''), bytes.subarray(0, 12), bytes.subarray(12));
  return Buffer.from(String(JSON.parse(plain)), 'base64');
}

/** Parses a 32-byte master key given as base64 (e.g. from PD_MASTER_KEY). */
export function parseMasterKey(base64: string): Buffer {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32) throw new Error(`the master key must be 32 bytes of base64, got ${key.length} bytes`);
  return key;
}
