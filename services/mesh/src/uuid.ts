// UUIDs across the mesh. Ids sent by callers are canonical 8-4-4-4-12 hexadecimal text in either
// case, stored, compared and answered in lower case; the nil and max UUIDs are refused because
// they are what a client sends by mistake (an unset value, a sentinel), never a generated id.
// Ids the servers make are UUIDv7 (RFC 9562), so that id order is creation order.
import { createHash, randomBytes } from 'node:crypto';

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NIL_UUID = '00000000-0000-0000-0000-000000000000';
const MAX_UUID = 'ffffffff-ffff-ffff-ffff-ffffffffffff';
/**
 * The lower-case canonical form of `text`, or undefined when it is not a canonical UUID or is the
 * nil or max UUID.
 */
export function parseUuid(text: string): string | undefined {
  if (!CANONICAL_UUID.test(text)) return undefined;
  const lower = text.toLowerCase();
  if (lower === NIL_UUID || lower === MAX_UUID) return undefined;
  return lower;
}

/**
 * `text` lower-cased when it is a canonical UUID (nil and max included), otherwise unchanged: the
 * form in which fields of a retried request are compared with the stored ones.
 */
export function normalizeUuid(text: string): string {
  return CANONICAL_UUID.test(text) ? text.toLowerCase() : text;
}

const SEQUENCE_MAX = 0xfff;
let lastMs = -1;
let sequence = 0;

/**
 * A UUIDv7 for the instant `atMs`. Within one millisecond the 12-bit rand_a field is a counter
 * (RFC 9562 §6.2, method 1), so ids made by this process are strictly increasing. A counter that
 * runs out borrows the next millisecond: the id's clock may then run a little ahead of created_at,
 * which is harmless because ids are used for order only, never read back as times.
 */
export function uuidv7(atMs: number): string {
  let ms = Math.max(atMs, lastMs);
  if (ms === lastMs) {
    sequence += 1;
    if (sequence > SEQUENCE_MAX) {
      ms += 1;
      sequence = 0;
    }
  } else {
    sequence = randomBytes(2).readUInt16BE() & 0x3ff; // leave room to count up
  }
  lastMs = ms;
  const bytes = randomBytes(16);
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The UUIDv5 (RFC 9562 §5.5: SHA-1 of the namespace's bytes and the name) of `name` in
 * `namespace`: the same inputs give the same id on every process and every retry, which is how a
 * re-driven operation finds the ledger transfer its first attempt made.
 */
export function uuidv5(namespace: string, name: string): string {
  const namespaceId = parseUuid(namespace);
  if (namespaceId === undefined) throw new Error(`${namespace} is not a namespace UUID`);
  const bytes = createHash('sha1')
    .update(Buffer.from(namespaceId.replaceAll('-', ''), 'hex'))
    .update(name, 'utf8')
    .digest()
    .subarray(0, 16);
  bytes[6] = 0x50 | ((bytes[6] ?? 0) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
