// The grpc-web wire format (gRPC PROTOCOL-WEB): 5-byte frames (flags, big-endian length), the
// trailers as a final frame with flag 0x80, the -text mode's base64 (which a client may send in
// separately padded chunks, so padding can fall mid-stream), and grpc-timeout. Pure functions of
// bytes and strings: nothing here knows HTTP or the mesh.
import type * as grpc from '@grpc/grpc-js';

export const frameHeaderBytes = 5;
export const dataFlag = 0x00;
export const compressedFlag = 0x01;
export const trailersFlag = 0x80;

export type WebEncoding = 'binary' | 'text';

export interface Frame {
  readonly flags: number;
  readonly payload: Buffer;
}

/** binary or text for the grpc-web content types (proto only); undefined for anything else. */
export function webEncodingOf(contentType: string | undefined): WebEncoding | undefined {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  switch (mediaType) {
    case 'application/grpc-web':
    case 'application/grpc-web+proto':
      return 'binary';
    case 'application/grpc-web-text':
    case 'application/grpc-web-text+proto':
      return 'text';
    default:
      return undefined;
  }
}

/** The content type the gateway answers with (SPEC §5: text mode answers …-text+proto). */
export function responseContentType(encoding: WebEncoding): string {
  return encoding === 'text' ? 'application/grpc-web-text+proto' : 'application/grpc-web+proto';
}

export function encodeFrame(flags: number, payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(frameHeaderBytes + payload.length);
  frame.writeUInt8(flags, 0);
  frame.writeUInt32BE(payload.length, 1);
  frame.set(payload, frameHeaderBytes);
  return frame;
}

/** Every frame of a complete body; undefined when the body ends inside a frame. */
export function decodeFrames(body: Buffer): Frame[] | undefined {
  const frames: Frame[] = [];
  let offset = 0;
  while (offset < body.length) {
    if (body.length - offset < frameHeaderBytes) return undefined;
    const flags = body.readUInt8(offset);
    const length = body.readUInt32BE(offset + 1);
    const start = offset + frameHeaderBytes;
    if (body.length - start < length) return undefined;
    frames.push({ flags, payload: body.subarray(start, start + length) });
    offset = start + length;
  }
  return frames;
}

/**
 * Decodes -text bodies: standard base64 in chunks that may each carry their own padding
 * ("QQ==QkM=" is "A" then "BC"), whitespace ignored. Undefined when it is not such base64.
 */
export function decodeBase64Chunks(text: string): Buffer | undefined {
  const compact = text.replace(/[\s]+/g, '');
  if (!/^[A-Za-z0-9+/=]*$/.test(compact)) return undefined;
  const chunks: Buffer[] = [];
  // Each match is a run of data characters and the padding that closes it (none at the very end).
  const chunkPattern = /([A-Za-z0-9+/]*)(=*)/y;
  let offset = 0;
  while (offset < compact.length) {
    chunkPattern.lastIndex = offset;
    const match = chunkPattern.exec(compact);
    const data = match?.[1] ?? '';
    const padding = match?.[2] ?? '';
    if (padding.length > 2) return undefined;
    if (padding.length > 0 && (data.length === 0 || (data.length + padding.length) % 4 !== 0)) {
      return undefined;
    }
    if (padding.length === 0 && data.length % 4 === 1) return undefined;
    chunks.push(Buffer.from(data, 'base64'));
    offset += data.length + padding.length;
  }
  return Buffer.concat(chunks);
}

export interface WebStatus {
  readonly code: grpc.status;
  readonly message: string;
  /** google.rpc.Status bytes for grpc-status-details-bin, when there are details. */
  readonly details?: Buffer | undefined;
}

/** grpc-message is percent-encoded: bytes outside printable ASCII, and '%' itself. */
export function percentEncodeMessage(message: string): string {
  let encoded = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    encoded +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/** The status as header fields: for trailers-only responses and for the trailer frame. */
export function statusFields(status: WebStatus): Record<string, string> {
  const fields: Record<string, string> = {
    'grpc-status': String(status.code),
    'grpc-message': percentEncodeMessage(status.message),
  };
  if (status.details !== undefined) {
    fields['grpc-status-details-bin'] = status.details.toString('base64').replace(/=+$/, '');
  }
  return fields;
}

/** The trailer frame: HTTP/1-style header lines (lower-case names, CRLF) with flag 0x80. */
export function encodeTrailersFrame(status: WebStatus): Buffer {
  const lines = Object.entries(statusFields(status))
    .map(([name, value]) => `${name}:${value}\r\n`)
    .join('');
  return encodeFrame(trailersFlag, Buffer.from(lines, 'ascii'));
}

const timeoutUnitsMs: Readonly<Record<string, number>> = {
  H: 3_600_000,
  M: 60_000,
  S: 1_000,
  m: 1,
  u: 0.001,
  n: 0.000_001,
};

/**
 * grpc-timeout ("TimeoutValue TimeoutUnit": at most 8 digits and one of H M S m u n) in whole
 * milliseconds, at least 1; undefined when absent, 'invalid' when malformed.
 */
export function parseGrpcTimeout(value: string | undefined): number | undefined | 'invalid' {
  if (value === undefined) return undefined;
  const match = /^(\d{1,8})([HMSmun])$/.exec(value);
  const unitMs = timeoutUnitsMs[match?.[2] ?? ''];
  if (match === null || unitMs === undefined) return 'invalid';
  return Math.max(1, Math.ceil(Number(match[1]) * unitMs));
}
