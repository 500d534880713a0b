// A TCP port nothing listens on right now: the OS picks it, the caller binds it again soon after.
// For processes that must know each other's addresses before they start (LEDGER_ADDR and the like).
import { once } from 'node:events';
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no TCP port assigned');
  return address.port;
}
