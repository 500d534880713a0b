// A TCP port nothing listens on right now, for processes that must know each other's addresses
// before they start (LEDGER_ADDR and the like); the caller binds it again soon after. Drawn below
// Linux's ephemeral range (32768–60999): a port the OS picked for port 0 is one it also hands out
// as the local port of outgoing connections, so one could take it between this check and the
// service's listen (seen in CI as EADDRINUSE). Below that range only another listener can.
import { once } from 'node:events';
import { createServer } from 'node:net';

const rangeStart = 20_000;
const rangeEnd = 32_000;
const triesMax = 50;
/** Ports this process handed out already: never twice, even once their checker closed. */
const handedOut = new Set<number>();

export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < triesMax; attempt += 1) {
    const port = rangeStart + Math.floor(Math.random() * (rangeEnd - rangeStart));
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free TCP port in ${rangeStart}–${rangeEnd} after ${triesMax} tries`);
}

async function canListen(port: number): Promise<boolean> {
  const server = createServer();
  const listening = once(server, 'listening').then(
    () => true,
    () => false,
  );
  server.listen(port, '127.0.0.1');
  if (!(await listening)) return false;
  server.close();
  await once(server, 'close');
  return true;
}
