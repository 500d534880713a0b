// W3C Trace Context (traceparent) for calls across the mesh: a call keeps its caller's trace id
// and gets a span id of its own; a call without a valid traceparent starts a new trace.
import { randomBytes } from 'node:crypto';

export const traceparentKey = 'traceparent';

export interface TraceContext {
  /** 32 lower-case hex digits, not all zero. */
  readonly traceId: string;
  /** 16 lower-case hex digits, not all zero: this span. */
  readonly spanId: string;
  /** Two hex digits; 01 = sampled. */
  readonly flags: string;
}

const traceparentPattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const allZero = /^0+$/;

export function parseTraceparent(value: unknown): TraceContext | undefined {
  if (typeof value !== 'string') return undefined;
  const match = traceparentPattern.exec(value.trim());
  if (match === null) return undefined;
  const [, traceId, spanId, flags] = match;
  if (traceId === undefined || spanId === undefined || flags === undefined) return undefined;
  if (allZero.test(traceId) || allZero.test(spanId)) return undefined;
  return { traceId, spanId, flags };
}

/** A new span: a child of `parent` when there is one, else the root of a new trace. */
export function childSpan(parent: TraceContext | undefined): TraceContext {
  return {
    traceId: parent?.traceId ?? randomHex(16),
    spanId: randomHex(8),
    flags: parent?.flags ?? '01',
  };
}

// Ids for every call: random bytes are drawn 4 KiB at a time and hex-encoded once; an id is then a
// slice of that text (no allocation of its own, no call into crypto per call).
const poolBytes = 4096;
let pool = '';
let poolOffset = poolBytes;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > poolBytes) {
    pool = randomBytes(poolBytes).toString('hex');
    poolOffset = 0;
  }
  const hex = pool.slice(poolOffset * 2, (poolOffset + bytes) * 2);
  poolOffset += bytes;
  // All-zero ids are invalid in W3C trace context; astronomically rare, but never send one.
  return allZero.test(hex) ? randomHex(bytes) : hex;
}

export function formatTraceparent(context: TraceContext): string {
  return `00-${context.traceId}-${context.spanId}-${context.flags}`;
}
