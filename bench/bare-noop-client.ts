// The baseline client of the RPC benchmarks: bare grpc-js calling the no-op RPC of
// bench/mesh-server.ts over mTLS, with nothing of the Clearmesh runtime in the way.
import * as grpc from '@grpc/grpc-js';
import type { TlsIdentity } from '../services/mesh/src/tls.js';
import type { BenchClient } from './closed-loop.js';
import { BenchService, emptyMessage } from './mesh-server.js';

/** A plain grpc.Client with library defaults; no deadline, metadata or wrapper. */
export function bareNoopClient(port: number, identity: TlsIdentity): BenchClient {
  const credentials = grpc.credentials.createSsl(identity.caPem, identity.keyPem, identity.certPem);
  // SNI must be a DNS name, as in the mesh client; this touches the handshake only, not calls.
  const client = new grpc.Client(`127.0.0.1:${port}`, credentials, {
    'grpc.ssl_target_name_override': 'localhost',
  });
  const { path, requestSerialize, responseDeserialize } = BenchService.noop;
  return {
    call: () =>
      new Promise((resolve, reject) => {
        client.makeUnaryRequest(
          path,
          requestSerialize,
          responseDeserialize,
          emptyMessage,
          (error, response) => {
            if (error === null) resolve(response);
            else reject(error);
          },
        );
      }),
    close: () => {
      client.close();
    },
  };
}
