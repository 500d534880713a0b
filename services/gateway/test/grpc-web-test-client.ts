// A grpc-web client for tests, written from the PROTOCOL-WEB text rather than with the gateway's own
// framing code, so that the two cannot agree on a mistake: frames are read byte by byte, -text
// bodies are decoded one 4-character base64 quantum at a time.
import * as grpc from '@grpc/grpc-js';
import {
  decodeStatusDetails,
  statusDetailsKey,
  type StatusDetails,
} from '../../mesh/src/errors.js';
import { rawRequest, type RawResponse } from './gateway-test-mesh.js';

export interface GrpcWebOptions {
  readonly token?: string;
  readonly text?: boolean;
  readonly http2?: boolean;
  readonly headers?: Readonly<Record<string, string>>;
  /** Overrides the enveloped request (for malformed-body tests). */
  readonly body?: Buffer | string | readonly (Buffer | string)[];
}

export interface GrpcWebResult {
  readonly http: RawResponse;
  /** True when the status came in the headers and the body was empty. */
  readonly trailersOnly: boolean;
  readonly messages: Buffer[];
  readonly trailers: Readonly<Record<string, string>>;
  /** grpc-status as sent (NaN when absent). */
  readonly code: number;
  readonly message: string;
  readonly details: StatusDetails;
}

export function envelope(message: Uint8Array, flags = 0): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt8(flags, 0);
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

/** Decodes base64 one quantum at a time: correct for chunks padded anywhere in the stream. */
export function decodeBase64ByQuantum(text: string): Buffer {
  if (text.length % 4 !== 0) throw new Error(`base64 of ${text.length} characters`);
  const parts: Buffer[] = [];
  for (let offset = 0; offset < text.length; offset += 4) {
    parts.push(Buffer.from(text.slice(offset, offset + 4), 'base64'));
  }
  return Buffer.concat(parts);
}

export async function grpcWebCall(
  baseUrl: string,
  path: string,
  message: Uint8Array,
  options: GrpcWebOptions = {},
): Promise<GrpcWebResult> {
  const enveloped = envelope(message);
  const headers: Record<string, string> = {
    'content-type':
      options.text === true ? 'application/grpc-web-text' : 'application/grpc-web+proto',
    'x-grpc-web': '1',
    ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
    ...options.headers,
  };
  const body = options.body ?? (options.text === true ? enveloped.toString('base64') : enveloped);
  const http = await rawRequest(`${baseUrl}${path}`, {
    headers,
    body,
    ...(options.http2 === undefined ? {} : { http2: options.http2 }),
  });
  return parseGrpcWeb(http, options.text === true);
}

export function parseGrpcWeb(http: RawResponse, text: boolean): GrpcWebResult {
  const bytes = text ? decodeBase64ByQuantum(http.body.toString('ascii')) : http.body;
  const messages: Buffer[] = [];
  let trailers: Record<string, string> = {};
  let offset = 0;
  while (offset < bytes.length) {
    const flags = bytes.readUInt8(offset);
    const length = bytes.readUInt32BE(offset + 1);
    const payload = bytes.subarray(offset + 5, offset + 5 + length);
    if (payload.length !== length) throw new Error('the body ends inside a frame');
    if (flags === 0x80) trailers = parseTrailerBlock(payload.toString('ascii'));
    else if (flags === 0) messages.push(payload);
    else throw new Error(`unexpected frame flags ${flags}`);
    offset += 5 + length;
  }
  const trailersOnly = bytes.length === 0 && http.headers['grpc-status'] !== undefined;
  const source = trailersOnly ? headerFields(http) : trailers;
  const metadata = new grpc.Metadata();
  const details = source[statusDetailsKey];
  if (details !== undefined) metadata.set(statusDetailsKey, Buffer.from(details, 'base64'));
  return {
    http,
    trailersOnly,
    messages,
    trailers,
    code: Number(source['grpc-status'] ?? 'NaN'),
    message: decodeURIComponent(source['grpc-message'] ?? ''),
    details: decodeStatusDetails(metadata),
  };
}

function parseTrailerBlock(block: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of block.split('\r\n')) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    fields[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return fields;
}

function headerFields(http: RawResponse): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(http.headers)) {
    if (typeof value === 'string') fields[name] = value;
  }
  return fields;
}
