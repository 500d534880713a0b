// Field rules every contract shares (SPEC §3.0): idempotency keys and request ids, free text
// counted in code points without control characters, caller metadata maps, and the int64 range
// of amounts. Pure: services' domain layers use them to validate requests.

export interface Violation {
  /** Proto field name, dotted for nesting. */
  readonly field: string;
  readonly description: string;
}

/** request_id and idempotency_key: 1 to 255 characters from ! to ~. */
export const REQUEST_ID_PATTERN = /^[!-~]{1,255}$/;
export const METADATA_PAIRS_MAX = 50;
export const METADATA_KEY_PATTERN = /^[!-~]{1,40}$/;
export const METADATA_VALUE_LENGTH_MAX = 500;
export const INT64_MAX = 2n ** 63n - 1n;
export const INT64_MIN = -(2n ** 63n);

const CONTROL_CHARACTER = /\p{Cc}/u;

/** Code points, as the proto comments count lengths. */
function lengthOf(text: string): number {
  let count = 0;
  for (let index = 0; index < text.length; index += 1) {
    // A low surrogate continues the code point its high surrogate began.
    const unit = text.charCodeAt(index);
    if (unit < 0xdc00 || unit > 0xdfff) count += 1;
  }
  return count;
}

/** A request_id or idempotency_key named `field`. */
export function checkRequestKey(key: string, field: string): Violation[] {
  return REQUEST_ID_PATTERN.test(key)
    ? []
    : [{ field, description: 'must be 1 to 255 characters from ! to ~' }];
}

/** A free-text field: at most `lengthMax` code points, no control characters. */
export function checkFreeText(text: string, field: string, lengthMax: number): Violation[] {
  if (lengthOf(text) > lengthMax) {
    return [{ field, description: `must be at most ${lengthMax} characters` }];
  }
  if (CONTROL_CHARACTER.test(text)) {
    return [{ field, description: 'must not contain control characters' }];
  }
  return [];
}

export function checkMetadata(metadata: Readonly<Record<string, string>>): Violation[] {
  const entries = Object.entries(metadata);
  if (entries.length > METADATA_PAIRS_MAX) {
    return [{ field: 'metadata', description: `must have at most ${METADATA_PAIRS_MAX} pairs` }];
  }
  const violations: Violation[] = [];
  for (const [key, value] of entries) {
    if (!METADATA_KEY_PATTERN.test(key)) {
      violations.push({
        field: 'metadata',
        description: 'keys must be 1 to 40 characters from ! to ~',
      });
    } else {
      violations.push(...checkFreeText(value, `metadata[${key}]`, METADATA_VALUE_LENGTH_MAX));
    }
    if (violations.length >= 10) break;
  }
  return violations;
}

/** Metadata as sorted [key, value] pairs: equal maps compare alike whatever their key order. */
export function sortedMetadata(metadata: Readonly<Record<string, string>>): [string, string][] {
  return Object.keys(metadata)
    .sort()
    .map((key) => [key, metadata[key] ?? '']);
}
