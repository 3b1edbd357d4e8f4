import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeHub {
  /** base address to give as hubEndpoint */
  endpoint: string;
  /** request paths seen, in order */
  requests: string[];
  /** authorization headers seen, in order */
  authorizations: (string | undefined)[];
  close(): Promise<void>;
}

export interface FakeHubOptions {
  /** repositories that answer 401, as private or missing ones do on the real hub */
  private?: string[];
  /** "owner/name/file" whose download breaks off half-way */
  breakFile?: string;
}

/**
 * A stand-in for huggingface.co on 127.0.0.1: `GET /<repo>/resolve/<revision>/<file>` answers
 * with a redirect to a "CDN" path, as the real hub does for large files, which then serves the
 * bytes; unknown files get 404, and repositories listed in `private` get 401.
 */
export async function startFakeHub(repos: Record<string, Record<string, Buffer | string>>, options: FakeHubOptions = {}): Promise<FakeHub> {
  const requests: string[] = [];
  const authorizations: (string | undefined)[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const path = decodeURIComponent(req.url ?? '');
    requests.push(path);
    authorizations.push(req.headers.authorization);
    const cdn = path.match(/^\/cdn\/(.+?)\/-\/(.+)$/);
    if (cdn) {
      const body = repos[cdn[1]]?.[cdn[2]];
      if (`${cdn[1]}/${cdn[2]}` === options.breakFile) {
        // headers promise more bytes than arrive: the client sees a truncated download
        res.writeHead(200, { 'content-length': '1000' });
        res.write('partial');
        setTimeout(() => res.destroy(), 10);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(body);
      return;
    }
    const m = path.match(/^\/(.+?)\/resolve\/([^/]+)\/(.+)$/);
    if (m && options.private?.includes(m[1])) return void res.writeHead(401).end('unauthorized');
    if (m && repos[m[1]]?.[m[3]] !== undefined) {
      res.writeHead(302, { location: `/cdn/${m[1]}/-/${m[3]}` }).end();
      return;
    }
    res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    authorizations,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
