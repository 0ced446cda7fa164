// Free TCP ports on 127.0.0.1: for the servers tests and benches start, and for providers that
// need redirect URIs registered in advance. Loads nothing but node:net (benches import it).
import { createServer } from 'node:net';

/** A port that was free a moment ago (the OS picks it; nothing else binds 127.0.0.1 here). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
