/** A run's artifact files (uploaded by PUT or MLflow's artifact proxy): folders to browse, files to download. */
import { useState } from 'react';
import { apiToken, downloadWithToken, useQuery } from '../api';
import { bytes, Empty, Guard, Section } from '../ui';

const FILES = `query RunFiles($id: ID!, $path: String) { run(id: $id) { id artifactFiles(path: $path) { path name isDir sizeBytes sha256 downloadUrl } } }`;

interface Entry {
  path: string;
  name: string;
  isDir: boolean;
  sizeBytes: number | null;
  sha256: string | null;
  downloadUrl: string | null;
}

/** The server gives downloadUrl relative to its root; the page may sit below it. */
const serverUrl = (u: string) => new URL(u.replace(/^\//, ''), new URL('/', location.href)).toString();

function Download({ e }: { e: Entry }) {
  const [err, setErr] = useState<string>();
  const url = serverUrl(e.downloadUrl!);
  // Without a token the browser downloads the link itself; with one, the file is fetched with it.
  const click = (ev: React.MouseEvent) => {
    if (!apiToken()) return;
    ev.preventDefault();
    setErr(undefined);
    downloadWithToken(url, e.name).catch((x: Error) => setErr(x.message));
  };
  return (
    <>
      <a href={url} download={e.name} onClick={click} aria-label={`Download ${e.path}`}>
        Download
      </a>
      {err && <span className="inline-error"> {err}</span>}
    </>
  );
}

export function RunFiles({ runId }: { runId: string }) {
  const [path, setPath] = useState('');
  const q = useQuery<{ run: { artifactFiles: Entry[] } | null }>(FILES, { id: runId, path: path || null });
  const parts = path ? path.split('/') : [];
  return (
    <Section title="Artifact files" testId="artifact-files">
      <nav aria-label="Artifact folder" className="toolbar">
        <button type="button" className="link" onClick={() => setPath('')} disabled={!path}>
          artifacts
        </button>
        {parts.map((p, i) => (
          <span key={i}>
            {' / '}
            <button type="button" className="link" onClick={() => setPath(parts.slice(0, i + 1).join('/'))} disabled={i === parts.length - 1}>
              {p}
            </button>
          </span>
        ))}
      </nav>
      <Guard q={q} what="the artifact files">
        {(d) =>
          d.run?.artifactFiles.length ? (
            <table className="grid">
              <thead>
                <tr>
                  <th>Name</th>
                  <th className="num">Size</th>
                  <th>SHA-256</th>
                  <th>
                    <span className="sr-only">Action</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {d.run.artifactFiles.map((e) => (
                  <tr key={e.path} data-testid="artifact-file">
                    <td>
                      {e.isDir ? (
                        <button type="button" className="link" onClick={() => setPath(e.path)} aria-label={`Open folder ${e.path}`}>
                          📁 {e.name}/
                        </button>
                      ) : (
                        e.name
                      )}
                    </td>
                    <td className="num">{e.sizeBytes != null ? bytes(e.sizeBytes) : ''}</td>
                    <td>{e.sha256 && <code title={e.sha256}>{e.sha256.slice(0, 12)}</code>}</td>
                    <td>{!e.isDir && e.downloadUrl && <Download e={e} />}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <Empty title={path ? 'This folder is empty' : 'No artifact files'}>{!path && 'Files uploaded with PUT /runs/{id}/artifacts/{path}, or by MLflow clients, appear here.'}</Empty>
          )
        }
      </Guard>
    </Section>
  );
}
