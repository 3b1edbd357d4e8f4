/** The model registry: models, versions with metrics and lineage, aliases (promote), audit log, webhooks. */
import { useEffect, useState } from 'react';
import { useMutation, useQuery, useSubscription } from '../api';
import { href, setParams } from '../router';
import { ago, Confirm, Empty, fmt, Guard, Scroll, Section } from '../ui';

const MODELS = `query Models($search: String) { registeredModels(search: $search, first: 100) { nodes {
  name description updatedAt latestVersion { version metrics } aliases { alias version } versions { id } } } }`;

export function RegistryPage({ params }: { params: URLSearchParams }) {
  const search = params.get('q') ?? '';
  const q = useQuery<{ registeredModels: { nodes: any[] } }>(MODELS, { search: search || null });
  useSubscription(`subscription { registryEvents { type modelName } }`, {}, () => q.reload());
  return (
    <div>
      <h1>Model registry</h1>
      <div className="toolbar">
        <label className="grow">
          Search models
          <input type="search" defaultValue={search} onChange={(e) => setParams({ q: e.target.value })} placeholder="part of a name" />
        </label>
      </div>
      <Guard q={q} what="the models">
        {(d) =>
          d.registeredModels.nodes.length ? (
            <Section title={`${d.registeredModels.nodes.length} models`}>
              <table className="grid">
                <thead>
                  <tr>
                    <th>Model</th>
                    <th className="num">Versions</th>
                    <th>Aliases</th>
                    <th className="num">Latest val micro-F1</th>
                    <th>Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {d.registeredModels.nodes.map((m) => (
                    <tr key={m.name}>
                      <td>
                        <a href={`#/registry/${encodeURIComponent(m.name)}`}>{m.name}</a>
                        {m.description && <div className="muted">{m.description}</div>}
                      </td>
                      <td className="num">{m.versions.length}</td>
                      <td>{m.aliases.map((a: any) => `${a.alias} → v${a.version}`).join(', ') || '—'}</td>
                      <td className="num">{fmt(m.latestVersion?.metrics?.val?.microF1)}</td>
                      <td>{ago(m.updatedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Section>
          ) : (
            <Empty title={search ? 'No model matches' : 'No models registered yet'}>
              Open a finished training run and press <em>Register as model…</em> (or call <code>registerModelVersion</code>).
            </Empty>
          )
        }
      </Guard>
    </div>
  );
}

const MODEL = `query Model($name: String!) {
  registeredModel(name: $name) { id name description tags createdAt updatedAt
    aliases { alias version protected updatedAt }
    promotionRule { alias metric split comparison againstAlias threshold }
    versions { id version runId run { id name status } dataset { id name version } encoders metrics tags createdBy createdAt aliases }
  }
  auditLog(model: $name, first: 50) { nodes { id at actor actorRole action version alias from to } }
  webhooks(model: $name) { id url events active createdAt deliveries(first: 5) { nodes { id event status attempts statusCode error createdAt } } }
}`;

export function ModelPage({ name, params }: { name: string; params: URLSearchParams }) {
  const q = useQuery<any>(MODEL, { name });
  useSubscription(`subscription($m: String) { registryEvents(model: $m) { type } }`, { m: name }, () => q.reload());
  const tab = params.get('tab') ?? 'versions';
  return (
    <div>
      <h1>
        {name} <small>model</small>
      </h1>
      <div className="tabs" role="navigation" aria-label="Model sections">
        {['versions', 'audit', 'webhooks'].map((t) => (
          <a key={t} href={href(`/registry/${encodeURIComponent(name)}`, { tab: t })} aria-current={tab === t ? 'page' : undefined}>
            {t === 'audit' ? 'Audit log' : t[0].toUpperCase() + t.slice(1)}
          </a>
        ))}
      </div>
      <Guard q={q} what="the model">
        {(d) =>
          !d.registeredModel ? (
            <Empty title={`No model named ${name}`}>
              <a href="#/registry">Back to the registry</a>
            </Empty>
          ) : tab === 'audit' ? (
            <Audit entries={d.auditLog.nodes} />
          ) : tab === 'webhooks' ? (
            <Webhooks model={name} hooks={d.webhooks} reload={q.reload} />
          ) : (
            <Versions model={d.registeredModel} reload={q.reload} />
          )
        }
      </Guard>
    </div>
  );
}

function Versions({ model, reload }: { model: any; reload: () => void }) {
  const metricNames = [...new Set<string>(model.versions.flatMap((v: any) => Object.keys(v.metrics?.val ?? {})))].filter((n) => /F1|loss|Accuracy/.test(n)).slice(0, 5);
  const rule = model.promotionRule;
  return (
    <div className="stack">
      <Section title="Aliases" actions={<Promote model={model} onDone={reload} />}>
        {model.aliases.length ? (
          <table className="grid" data-testid="aliases">
            <thead>
              <tr>
                <th>Alias</th>
                <th>Version</th>
                <th>Protected</th>
                <th>Moved</th>
              </tr>
            </thead>
            <tbody>
              {model.aliases.map((a: any) => (
                <tr key={a.alias}>
                  <td>
                    <strong>{a.alias}</strong>
                  </td>
                  <td>v{a.version}</td>
                  <td>{a.protected ? 'yes (admin only)' : 'no'}</td>
                  <td>{ago(a.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <Empty title="No aliases yet">Promote a version (for example to “staging” or “production”) so clients can predict with <code>{model.name}@alias</code>.</Empty>
        )}
        {rule && (
          <p className="notice">
            Promotion rule{rule.alias ? ` on “${rule.alias}”` : ''}: {rule.split} {rule.metric} must be {({ GTE: '≥', GT: '>', LTE: '≤', LT: '<' } as any)[rule.comparison]}{' '}
            {rule.againstAlias ? `the version at “${rule.againstAlias}”` : fmt(rule.threshold)}.
          </p>
        )}
      </Section>
      <Section title={`Versions (${model.versions.length})`}>
        <Scroll label="Versions">
          <table className="grid" data-testid="versions">
            <thead>
              <tr>
                <th>Version</th>
                <th>Aliases</th>
                {metricNames.map((n) => (
                  <th className="num" key={n}>
                    val {n}
                  </th>
                ))}
                <th>Run (lineage)</th>
                <th>Dataset</th>
                <th>Encoders</th>
                <th>By</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {model.versions.map((v: any) => (
                <tr key={v.id}>
                  <td>
                    <strong>v{v.version}</strong>
                  </td>
                  <td>{v.aliases.join(', ') || '—'}</td>
                  {metricNames.map((n) => (
                    <td className="num" key={n}>
                      {fmt(v.metrics?.val?.[n])}
                    </td>
                  ))}
                  <td>{v.run ? <a href={`#/runs/${v.run.id}`}>{v.run.name ?? v.run.id.slice(0, 8)}</a> : '—'}</td>
                  <td>{v.dataset ? <a href={`#/datasets/${v.dataset.id}`}>{`${v.dataset.name} v${v.dataset.version}`}</a> : '—'}</td>
                  <td>{Array.isArray(v.encoders) ? v.encoders.map((e: any) => e.id).join(' + ') : '—'}</td>
                  <td>{v.createdBy ?? '—'}</td>
                  <td>{ago(v.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
        <p className="footer-note">
          Predict with a version: <a href={href('/predict', { model: `${model.name}/${model.versions[0]?.version ?? 1}` })}>open the predict form</a>.
        </p>
      </Section>
    </div>
  );
}

function Promote({ model, onDone }: { model: any; onDone: () => void }) {
  const [alias, setAlias] = useState(model.aliases[0]?.alias ?? 'production');
  const [version, setVersion] = useState<number>(model.versions[0]?.version ?? 1);
  const [ask, setAsk] = useState(false);
  const current = model.aliases.find((a: any) => a.alias === alias);
  const m = useMutation(`mutation($input: MoveAliasInput!) { moveAlias(input: $input) { changed previousVersion alias { alias version } } }`);
  const [done, setDone] = useState<string>();
  const confirm = async () => {
    const r = await m.run({ input: { model: model.name, alias, version, expectedVersion: current?.version ?? 0 } });
    if (r) {
      setAsk(false);
      setDone(`“${alias}” now points at v${version}.`);
      onDone();
    }
  };
  return (
    <form
      className="actions"
      onSubmit={(e) => {
        e.preventDefault();
        m.clearError();
        setDone(undefined);
        setAsk(true);
      }}
      aria-label="Promote a version"
    >
      <label className="inline">
        Alias
        <input list="aliases" value={alias} onChange={(e) => setAlias(e.target.value)} size={12} aria-label="Alias" data-testid="promote-alias" />
        <datalist id="aliases">
          {['staging', 'production', 'champion', ...model.aliases.map((a: any) => a.alias)].map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
      </label>
      <label className="inline">
        Version
        <select value={version} onChange={(e) => setVersion(Number(e.target.value))} aria-label="Version" data-testid="promote-version">
          {model.versions.map((v: any) => (
            <option key={v.id} value={v.version}>
              v{v.version}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" className="primary" disabled={!alias.trim() || !model.versions.length}>
        Promote…
      </button>
      {done && (
        <span role="status" className="muted">
          {done}
        </span>
      )}
      {ask && (
        <Confirm title={`Promote v${version} to “${alias}”?`} confirmLabel="Promote" pending={m.pending} onConfirm={confirm} onCancel={() => setAsk(false)}>
          <p>
            {current ? `“${alias}” points at v${current.version} now; clients predicting with ${model.name}@${alias} get v${version} at once.` : `“${alias}” is new: it will point at v${version}.`}
          </p>
          {m.error && (
            <div className="inline-error" role="alert" data-testid="promote-error">
              The server refused: {m.error.message}
            </div>
          )}
        </Confirm>
      )}
    </form>
  );
}

function Audit({ entries }: { entries: any[] }) {
  if (!entries.length) return <Empty title="No registry changes yet" />;
  return (
    <Section title="Audit log (newest first)">
      <Scroll label="Audit log">
        <table className="grid" data-testid="audit">
          <thead>
            <tr>
              <th>When</th>
              <th>Who</th>
              <th>Action</th>
              <th>Version</th>
              <th>Alias</th>
              <th>From → to</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.id}>
                <td title={e.at}>{new Date(e.at).toLocaleString()}</td>
                <td>
                  {e.actor} <span className="muted">({e.actorRole})</span>
                </td>
                <td>{e.action}</td>
                <td>{e.version ?? '—'}</td>
                <td>{e.alias ?? '—'}</td>
                <td>
                  <code>{e.from == null ? '—' : JSON.stringify(e.from)}</code> → <code>{e.to == null ? '—' : JSON.stringify(e.to)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
    </Section>
  );
}

function Webhooks({ model, hooks, reload }: { model: string; hooks: any[]; reload: () => void }) {
  const [url, setUrl] = useState('');
  const create = useMutation<{ createWebhook: { secret: string } }>(`mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { id } } }`);
  const test = useMutation(`mutation($id: ID!) { testWebhook(id: $id) { id status } }`);
  const del = useMutation(`mutation($id: ID!) { deleteWebhook(id: $id) }`);
  const [secret, setSecret] = useState<string>();
  const [deleting, setDeleting] = useState<any>();
  // Deliveries run as jobs and publish no registry event: refresh while one is still on its way.
  const inFlight = hooks.some((h) => h.deliveries.nodes.some((d: any) => d.status === 'PENDING' || d.status === 'RETRYING'));
  useEffect(() => {
    if (!inFlight) return;
    const t = setInterval(reload, 1500);
    return () => clearInterval(t);
  }, [inFlight, reload]);
  const remove = async () => {
    if (await del.run({ id: deleting.id })) {
      setDeleting(undefined);
      reload();
    }
  };
  return (
    <div className="stack">
      <Section title="New webhook">
        <form
          className="toolbar"
          onSubmit={async (e) => {
            e.preventDefault();
            const r = await create.run({ input: { url, model } });
            if (r) {
              setSecret(r.createWebhook.secret);
              setUrl('');
              reload();
            }
          }}
        >
          <label className="grow">
            URL receiving this model's registry events (signed POSTs)
            <input type="url" required value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://ci.example.com/hooks/tagfusion" />
          </label>
          <button type="submit" className="primary" disabled={create.pending}>
            Add webhook
          </button>
        </form>
        {create.error && <div className="inline-error">{create.error.message}</div>}
        {secret && (
          <div className="notice" role="status">
            Signing secret (shown once, store it now): <code data-testid="webhook-secret">{secret}</code>
          </div>
        )}
      </Section>
      {hooks.length ? (
        hooks.map((h) => (
          <Section
            key={h.id}
            title={h.url}
            testId="webhook"
            actions={
              <>
                <button type="button" onClick={async () => (await test.run({ id: h.id }), reload())}>
                  Send test ping
                </button>
                <button type="button" onClick={() => (del.clearError(), setDeleting(h))}>
                  Delete…
                </button>
              </>
            }
          >
            <p className="muted">
              Events: {h.events.length ? h.events.join(', ') : 'all'} · {h.active ? 'active' : 'inactive'} · added {ago(h.createdAt)}
            </p>
            {h.deliveries.nodes.length ? (
              <table className="grid">
                <tbody>
                  {h.deliveries.nodes.map((d: any) => (
                    <tr key={d.id} data-testid="delivery">
                      <td>{d.event}</td>
                      <td>{d.status.toLowerCase()}</td>
                      <td>
                        {d.attempts} attempt{d.attempts === 1 ? '' : 's'}
                      </td>
                      <td>{d.statusCode ?? ''}</td>
                      <td className="muted">{d.error ?? ''}</td>
                      <td>{ago(d.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <p className="muted">No deliveries yet.</p>
            )}
          </Section>
        ))
      ) : (
        <Empty title="No webhooks for this model">Add one above to be told of new versions and alias moves.</Empty>
      )}
      {test.error && <div className="inline-error">{test.error.message}</div>}
      {deleting && (
        <Confirm title="Delete this webhook?" confirmLabel="Delete webhook" danger pending={del.pending} onConfirm={remove} onCancel={() => setDeleting(undefined)}>
          <p>
            <code>{deleting.url}</code> stops receiving this model's events, and its delivery history goes with it.
          </p>
          {del.error && (
            <div className="inline-error" role="alert">
              The server refused: {del.error.message}
            </div>
          )}
        </Confirm>
      )}
    </div>
  );
}
