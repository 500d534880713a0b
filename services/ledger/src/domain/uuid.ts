// UUIDs as the ledger accepts them: canonical 8-4-4-4-12 hexadecimal text in either case, stored
// and compared in lower case. The nil and max UUIDs are refused because they are what a client
// sends by mistake (an unset value, a sentinel), never a generated id.

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
