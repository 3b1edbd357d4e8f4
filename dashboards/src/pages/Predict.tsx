/** Predict on a typed caption and an uploaded image with a registered model (name@alias or name/version). */
import { useMemo, useState } from 'react';
import { gql, useQuery } from '../api';
import { setParams } from '../router';
import { Empty, ErrorState, fmt, Section } from '../ui';

const MAX_IMAGE = 1024 * 1024;

export function PredictPage({ params }: { params: URLSearchParams }) {
  const models = useQuery<{ registeredModels: { nodes: any[] } }>(`{ registeredModels(first: 100) { nodes { name aliases { alias version } versions { version } } } }`);
  const refs = useMemo(
    () => (models.data?.registeredModels.nodes ?? []).flatMap((m) => [...m.aliases.map((a: any) => `${m.name}@${a.alias}`), ...m.versions.map((v: any) => `${m.name}/${v.version}`)]),
    [models.data],
  );
  const model = params.get('model') ?? refs[0] ?? '';
  const [caption, setCaption] = useState(params.get('caption') ?? '');
  const [image, setImage] = useState<{ name: string; data: string } | null>(null);
  const [imgErr, setImgErr] = useState<string>();
  const [result, setResult] = useState<any>();
  const [error, setError] = useState<Error>();
  const [pending, setPending] = useState(false);
  const classNames = useQuery<{ modelVersion: any }>(
    result ? `query($m: String!, $v: Int) { modelVersion(model: $m, version: $v) { dataset { classes { id name } } } }` : null,
    result ? { m: result.model.name, v: result.model.version } : {},
  );
  const names = new Map<number, string>((classNames.data?.modelVersion?.dataset?.classes ?? []).map((c: any) => [c.id, c.name ?? `class ${c.id}`]));

  const onFile = (f: File | undefined) => {
    setImgErr(undefined);
    if (!f) return setImage(null);
    if (f.size > MAX_IMAGE) return setImgErr(`${f.name} is ${(f.size / 1024 / 1024).toFixed(1)} MiB; the server takes images up to 1 MiB.`);
    const r = new FileReader();
    r.onload = () => setImage({ name: f.name, data: String(r.result) });
    r.readAsDataURL(f);
  };
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setPending(true);
    setError(undefined);
    setParams({ model, caption: caption.length < 300 ? caption : null });
    try {
      const input: any = {};
      if (caption.trim()) input.caption = caption;
      if (image) input.image = { base64: image.data };
      const d = await gql(
        `query($model: String!, $inputs: [PredictionInput!]!) { predict(model: $model, inputs: $inputs) { model { reference name version alias head runId } predictions { labels probabilities { classId probability threshold } } } }`,
        { model, inputs: [input] },
      );
      setResult(d.predict);
    } catch (err) {
      setError(err as Error);
      setResult(undefined);
    } finally {
      setPending(false);
    }
  };

  if (models.error) return <ErrorState title="Could not load the models" error={models.error} retry={models.reload} />;
  const p = result?.predictions[0];
  return (
    <div>
      <h1>Predict</h1>
      {models.data && !refs.length ? (
        <Empty title="No registered model to predict with">
          Register a finished training run first: open it from <a href="#/runs">the runs</a> and press <em>Register as model…</em>
        </Empty>
      ) : (
        <div className="cols">
          <Section title="Input">
            <form className="stack" onSubmit={submit} aria-label="Prediction input">
              <label>
                Model (name@alias or name/version)
                <input list="model-refs" value={model} onChange={(e) => setParams({ model: e.target.value })} required data-testid="predict-model" />
                <datalist id="model-refs">
                  {refs.map((r) => (
                    <option key={r} value={r} />
                  ))}
                </datalist>
              </label>
              <label>
                Caption
                <textarea rows={3} value={caption} onChange={(e) => setCaption(e.target.value)} placeholder="A man riding a bike past a parked car" data-testid="predict-caption" />
              </label>
              <label>
                Image (JPEG or PNG, up to 1 MiB)
                <input type="file" accept="image/*" onChange={(e) => onFile(e.target.files?.[0])} data-testid="predict-image" />
              </label>
              {imgErr && <div className="inline-error">{imgErr}</div>}
              {image && <img src={image.data} alt={`Uploaded ${image.name}`} style={{ maxWidth: 200, maxHeight: 150, borderRadius: 6 }} />}
              <div className="actions">
                <button type="submit" className="primary" disabled={pending || !model || (!caption.trim() && !image)}>
                  {pending ? 'Predicting…' : 'Predict'}
                </button>
                <span className="muted">A model ignores the inputs it does not read (a text head ignores the image).</span>
              </div>
            </form>
          </Section>
          <Section title="Result">
            {error ? (
              <div className="inline-error" role="alert">
                {error.message}
              </div>
            ) : p ? (
              <div data-testid="prediction">
                <p>
                  <strong>{result.model.name}</strong> v{result.model.version}
                  {result.model.alias ? ` (via @${result.model.alias})` : ''} · {result.model.head} head
                </p>
                <p>
                  Labels:{' '}
                  <span className="labels" style={{ display: 'inline-flex' }} data-testid="predicted-labels">
                    {p.labels.map((l: number) => (
                      <span key={l}>{names.get(l) ?? l}</span>
                    ))}
                  </span>
                </p>
                <div className="bars" role="list" aria-label="Probabilities by class">
                  {[...p.probabilities]
                    .sort((a: any, b: any) => b.probability - a.probability)
                    .map((c: any) => (
                      <div role="listitem" key={c.classId} style={{ display: 'contents' }}>
                        <span className={p.labels.includes(c.classId) ? 'on' : undefined}>{names.get(c.classId) ?? `class ${c.classId}`}</span>
                        <span className="bar" title={`threshold ${fmt(c.threshold, 3)}`}>
                          <i style={{ width: `${c.probability * 100}%` }} />
                          <b style={{ left: `${c.threshold * 100}%` }} />
                        </span>
                        <span className="num">{fmt(c.probability, 3)}</span>
                      </div>
                    ))}
                </div>
                <p className="footer-note">Red marks: each class's decision threshold.</p>
              </div>
            ) : (
              <p className="muted">Type a caption and/or choose an image, then press Predict.</p>
            )}
          </Section>
        </div>
      )}
    </div>
  );
}
