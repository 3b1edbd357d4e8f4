/** Datasets: versions, label histogram, a sample browser (images, captions, labels), the import report. */
import { useEffect, useState, type ReactNode } from 'react';
import { gql, useImageUrl, useQuery } from '../api';
import { href, setParams } from '../router';
import { CopyId } from '../CopyId';
import { ago, Empty, Guard, KV, Scroll, Section } from '../ui';

const LIST = `{ datasets { id name version sampleCount rejectedCount labelled hasImages createdAt splitCounts { train val unlabelled } } }`;

export function DatasetsPage() {
  const q = useQuery<{ datasets: any[] }>(LIST);
  return (
    <div>
      <h1>Datasets</h1>
      <ImportForm onDone={q.reload} />
      <Guard q={q} what="the datasets">
        {(d) =>
          d.datasets.length ? (
            <Section title={`${d.datasets.length} dataset versions`}>
              <Scroll label="Dataset versions">
                <table className="grid">
                  <thead>
                    <tr>
                      <th>Name</th>
                      <th>Version</th>
                      <th className="num">Samples</th>
                      <th className="num">Train / val / unlabelled</th>
                      <th className="num">Rejected</th>
                      <th>Images</th>
                      <th>Imported</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.datasets.map((x) => (
                      <tr key={x.id}>
                        <td>
                          <a href={`#/datasets/${x.id}`}>{x.name}</a>
                        </td>
                        <td>v{x.version}</td>
                        <td className="num">{x.sampleCount.toLocaleString()}</td>
                        <td className="num">
                          {x.splitCounts.train} / {x.splitCounts.val} / {x.splitCounts.unlabelled}
                        </td>
                        <td className="num">{x.rejectedCount ? <a href={href(`/datasets/${x.id}`, { tab: 'rejected' })}>{x.rejectedCount}</a> : 0}</td>
                        <td>{x.hasImages ? 'yes' : 'captions only'}</td>
                        <td>{ago(x.createdAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </Scroll>
            </Section>
          ) : (
            <Empty title="No datasets yet">Import a caption file above (ImageID,Labels,Caption); paths are read by the server.</Empty>
          )
        }
      </Guard>
    </div>
  );
}

function ImportForm({ onDone }: { onDone: () => void }) {
  const [f, setF] = useState({ name: '', csvPath: '', imagesDir: '', valFraction: '0.1' });
  const [msg, setMsg] = useState<ReactNode>();
  const [err, setErr] = useState<string>();
  const [job, setJob] = useState<string>();
  // The import runs as a job: follow it, so that the list shows the dataset (or the form the failure) when it ends.
  useEffect(() => {
    if (!job) return;
    let busy = false;
    const t = setInterval(async () => {
      if (busy) return;
      busy = true;
      try {
        const { job: j } = await gql(`query($id: ID!) { job(id: $id) { status error result } }`, { id: job });
        if (!['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(j.status)) return;
        setJob(undefined);
        if (j.status === 'SUCCEEDED') {
          setMsg(
            <>
              Imported: <a href={`#/datasets/${j.result.datasetId}`}>open the dataset</a>.
            </>,
          );
          onDone();
        } else {
          setMsg(undefined);
          setErr(`The import ${j.status.toLowerCase()}: ${j.error ?? 'no reason given'}`);
        }
      } catch {
        /* a missed poll: the next one retries */
      } finally {
        busy = false;
      }
    }, 1000);
    return () => clearInterval(t);
  }, [job]);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setErr(undefined);
    try {
      const d = await gql(`mutation($input: ImportDatasetInput!) { importDataset(input: $input) { id status } }`, {
        input: { name: f.name, csvPath: f.csvPath, imagesDir: f.imagesDir || null, valFraction: Number(f.valFraction) },
      });
      setMsg(`Importing (job ${d.importDataset.id.slice(0, 8)}, also on the Jobs page); the dataset appears below when it finishes.`);
      setJob(d.importDataset.id);
    } catch (x) {
      setErr((x as Error).message);
    }
  };
  return (
    <details className="card">
      <summary>
        <strong>Import a dataset</strong>
      </summary>
      <form className="form" onSubmit={submit} style={{ marginTop: 10 }} aria-label="Import a dataset">
        <label>
          Name
          <input required value={f.name} onChange={(e) => setF({ ...f, name: e.target.value })} />
        </label>
        <label>
          CSV path on the server
          <input required value={f.csvPath} onChange={(e) => setF({ ...f, csvPath: e.target.value })} placeholder="/data/train.csv" />
        </label>
        <label>
          Images folder (optional)
          <input value={f.imagesDir} onChange={(e) => setF({ ...f, imagesDir: e.target.value })} placeholder="/data/images" />
        </label>
        <label>
          Validation share
          <input type="number" min="0" max="0.9" step="0.05" value={f.valFraction} onChange={(e) => setF({ ...f, valFraction: e.target.value })} />
        </label>
        <button type="submit" className="primary" disabled={Boolean(job)}>
          {job ? 'Importing…' : 'Import'}
        </button>
      </form>
      {msg && (
        <p className="notice" role="status">
          {msg}
        </p>
      )}
      {err && (
        <div className="inline-error" role="alert">
          {err}
        </div>
      )}
    </details>
  );
}

const ONE = `query($id: ID!, $split: Split, $first: Int, $offset: Int, $rfirst: Int, $roffset: Int) { dataset(id: $id) {
  id name version checksum labelled hasImages csvPath imagesDir sampleCount splitSeed valFraction createdAt rejectedCount
  classes { id index name count } splitCounts { train val unlabelled }
  samples(split: $split, first: $first, offset: $offset) { imageId imagePath caption labels split line }
  rejected(first: $rfirst, offset: $roffset) { line imageId reason }
} }`;
const PAGE = 24;

export function DatasetPage({ id, params }: { id: string; params: URLSearchParams }) {
  const tab = params.get('tab') ?? 'samples';
  const split = params.get('split') || null;
  const page = Number(params.get('page') ?? 0);
  const q = useQuery<{ dataset: any }>(ONE, { id, split, first: PAGE, offset: page * PAGE, rfirst: 100, roffset: tab === 'rejected' ? page * 100 : 0 });
  const versions = useQuery<{ datasets: any[] }>(q.data?.dataset ? `query($n: String) { datasets(name: $n) { id version sampleCount createdAt } }` : null, { n: q.data?.dataset?.name });
  return (
    <Guard q={q} what="the dataset">
      {(d) => {
        const ds = d.dataset;
        if (!ds)
          return (
            <Empty title={`No dataset ${id}`}>
              <a href="#/datasets">Back to the datasets</a>
            </Empty>
          );
        const names = new Map<number, string>(ds.classes.map((c: any) => [c.id, c.name ?? String(c.id)]));
        const max = Math.max(1, ...ds.classes.map((c: any) => c.count));
        return (
          <div>
            <h1>
              {ds.name} <small>v{ds.version}</small>
            </h1>
            <div className="cols">
              <Section title="Overview">
                <KV
                  rows={[
                    ['Id', <CopyId id={ds.id} what="dataset id" />],
                    ['Samples', ds.sampleCount.toLocaleString()],
                    ['Train / val / unlabelled', `${ds.splitCounts.train} / ${ds.splitCounts.val} / ${ds.splitCounts.unlabelled}`],
                    ['Rejected records', ds.rejectedCount],
                    ['Labelled', ds.labelled ? 'yes' : 'no'],
                    ['CSV', <code>{ds.csvPath}</code>],
                    ['Images', ds.imagesDir ? <code>{ds.imagesDir}</code> : 'captions only'],
                    ['Split', `seed ${ds.splitSeed}, ${Math.round(ds.valFraction * 100)}% val`],
                    ['Checksum', <code title={ds.checksum}>{ds.checksum.slice(0, 12)}</code>],
                  ]}
                />
                <h2 style={{ marginTop: 12 }}>Versions</h2>
                <ul>
                  {(versions.data?.datasets ?? []).map((v) => (
                    <li key={v.id}>
                      {v.id === ds.id ? <strong>v{v.version}</strong> : <a href={`#/datasets/${v.id}`}>v{v.version}</a>} · {v.sampleCount.toLocaleString()} samples · {ago(v.createdAt)}
                    </li>
                  ))}
                </ul>
                <a className="button primary" href={href('/new/training', { dataset: ds.id })}>
                  Train on this dataset
                </a>
              </Section>
              <Section title={`Labels (${ds.classes.length})`}>
                {ds.classes.length ? (
                  <div className="bars" data-testid="label-histogram" role="list" aria-label="Samples per label">
                    {ds.classes.map((c: any) => (
                      <div key={c.id} role="listitem" style={{ display: 'contents' }}>
                        <span>{c.name ?? `label ${c.id}`}</span>
                        <span className="bar">
                          <i style={{ width: `${(c.count / max) * 100}%` }} />
                        </span>
                        <span className="num">{c.count.toLocaleString()}</span>
                      </div>
                    ))}
                  </div>
                ) : (
                  <Empty title="Unlabelled dataset" />
                )}
              </Section>
            </div>
            <div style={{ height: 14 }} />
            <div className="tabs" role="navigation" aria-label="Dataset sections">
              <a href={href(`/datasets/${id}`, { tab: 'samples' })} aria-current={tab === 'samples' ? 'page' : undefined}>
                Samples
              </a>
              <a href={href(`/datasets/${id}`, { tab: 'rejected' })} aria-current={tab === 'rejected' ? 'page' : undefined}>
                Import report ({ds.rejectedCount} rejected)
              </a>
            </div>
            {tab === 'rejected' ? (
              <Section title="Rejected records">
                {ds.rejected.length ? (
                  <>
                    <table className="grid" data-testid="rejected">
                      <thead>
                        <tr>
                          <th className="num">Line</th>
                          <th>Image</th>
                          <th>Reason</th>
                        </tr>
                      </thead>
                      <tbody>
                        {ds.rejected.map((r: any) => (
                          <tr key={r.line}>
                            <td className="num">{r.line}</td>
                            <td>{r.imageId ?? '—'}</td>
                            <td style={{ whiteSpace: 'normal' }}>{r.reason}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                    <Pager page={page} more={ds.rejected.length === 100} />
                  </>
                ) : (
                  <Empty title="Every record was imported">The importer rejected nothing from this file.</Empty>
                )}
              </Section>
            ) : (
              <Section
                title="Samples"
                actions={
                  <label className="inline">
                    Split
                    <select value={split ?? ''} onChange={(e) => setParams({ split: e.target.value, page: null })}>
                      <option value="">all</option>
                      <option>TRAIN</option>
                      <option>VAL</option>
                      <option>UNLABELLED</option>
                    </select>
                  </label>
                }
              >
                {ds.samples.length ? (
                  <>
                    <div className="samples" data-testid="samples">
                      {ds.samples.map((s: any) => (
                        <article className="sample" key={s.imageId}>
                          {s.imagePath ? <SampleImage path={`datasets/${ds.id}/images/${encodeURIComponent(s.imageId)}`} caption={s.caption} /> : <div className="noimg">no image</div>}
                          <div className="t">
                            <strong>{s.imageId}</strong> <span className="muted">· {s.split.toLowerCase()} · line {s.line}</span>
                            <div>{s.caption}</div>
                            <div className="labels">
                              {s.labels.map((l: number) => (
                                <span key={l}>{names.get(l) ?? l}</span>
                              ))}
                            </div>
                          </div>
                        </article>
                      ))}
                    </div>
                    <Pager page={page} more={ds.samples.length === PAGE} />
                  </>
                ) : (
                  <Empty title="No samples on this split" />
                )}
              </Section>
            )}
          </div>
        );
      }}
    </Guard>
  );
}

function Pager({ page, more }: { page: number; more: boolean }) {
  return (
    <div className="actions" style={{ marginTop: 10 }}>
      <button type="button" disabled={page === 0} onClick={() => setParams({ page: page > 1 ? String(page - 1) : null })}>
        ← Previous
      </button>
      <span className="muted">Page {page + 1}</span>
      <button type="button" disabled={!more} onClick={() => setParams({ page: String(page + 1) })}>
        Next →
      </button>
    </div>
  );
}

/** A sample's image, loaded with the API token when one is set. */
function SampleImage({ path, caption }: { path: string; caption: string }) {
  const url = useImageUrl(path);
  const [failed, setFailed] = useState(false);
  if (url === 'error' || failed) return <div className="noimg">image not served</div>;
  if (url === null) return <div className="noimg">loading…</div>;
  return <img loading="lazy" src={url} alt={caption} onError={() => setFailed(true)} />;
}
