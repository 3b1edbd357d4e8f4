import { loadConfig } from '../../config.js';
import { advertisedServerUrl } from '../../server/url-file.js';
import { RemoteApi } from './api.js';

/**
 * The server a command should go through: TAGFUSION_URL when set, else the one serving this data
 * folder (src/server/url-file.ts); undefined when none does, and the command opens the app
 * in-process as before. A URL given as the server's origin gets its /graphql path.
 */
export function remoteApi(): RemoteApi | undefined {
  const given = process.env.TAGFUSION_URL?.trim();
  const url = given || advertisedServerUrl(loadConfig().dataDir);
  if (!url) return undefined;
  return new RemoteApi(/\/graphql\/?$/.test(url) ? url.replace(/\/$/, '') : `${url.replace(/\/$/, '')}/graphql`);
}
