import type { Server } from 'node:http';
import { errors } from '../errors.js';

/**
 * Listens on `host:port` (0: a free port) and returns the origin it serves, e.g.
 * http://127.0.0.1:4000. A port in use is the catalogue's PORT_IN_USE, naming `setting` (the
 * variable that picks the port), so that the CLI prints one line instead of a stack.
 */
export async function listen(server: Server, port: number, host: string, setting = 'PORT'): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? errors.portInUse(port, host, setting) : err));
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
}
