// The whole mesh as `npm start` runs it (supervisor, account, ledger, payment, gateway as real
// processes) on free ports, with the run's PKI and database, for end-to-end tests of the gateway
// with whatever payment service the checkout has. Also a fetch for Node that trusts the run's CA.
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import {
  meshEnvironment,
  startSupervisedMesh,
  type SupervisedMesh,
} from '../../../test/harness/mesh-processes.js';

export async function startMeshProcesses(): Promise<SupervisedMesh> {
  const env = await meshEnvironment({
    services: ['account', 'ledger', 'payment', 'gateway'],
    drainGraceMs: 1000,
  });
  return startSupervisedMesh(env);
}

/** fetch over node:https trusting `ca` (Node's global fetch cannot be given a CA per call). */
export function caTrustingFetch(ca: Buffer): typeof globalThis.fetch {
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const headers = Object.fromEntries(new Headers(init?.headers).entries());
      const request = httpsRequest(
        url,
        { method: init?.method ?? 'GET', headers, ca, signal: init?.signal ?? undefined },
        (response) => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            for (const item of [value ?? []].flat()) responseHeaders.append(name, item);
          }
          const body = Readable.toWeb(response);
          resolve(
            new Response(body, {
              status: response.statusCode ?? 0,
              headers: responseHeaders,
            }),
          );
        },
      );
      request.on('error', reject);
      const body = init?.body;
      if (typeof body === 'string') request.write(body);
      else if (body instanceof Uint8Array) request.write(body);
      else if (body !== undefined && body !== null) {
        reject(new Error('caTrustingFetch sends string and Uint8Array bodies only'));
        request.destroy();
        return;
      }
      request.end();
    });
}
