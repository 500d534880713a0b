// Reading a request body with a size limit: past the limit the rest is read and dropped (so the
// connection stays usable and the answer can still be sent) and the caller learns it was too large.
import type { Http2ServerRequest } from 'node:http2';

export class BodyCutShort extends Error {
  override readonly name = 'BodyCutShort';
}

/** The whole body, or undefined once it passes `maxBytes`. Rejects if the body is cut short. */
export function readBody(
  request: Http2ServerRequest,
  maxBytes: number,
): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        request.off('data', onData);
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.once('end', () => {
      resolve(Buffer.concat(chunks));
    });
    request.once('error', reject);
    // After 'end' (or the limit) this settles nothing; before it, the client went away.
    request.once('close', () => {
      reject(new BodyCutShort('the request body was cut short'));
    });
  });
}
