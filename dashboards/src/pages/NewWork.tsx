/** Starting work from the UI: a training run, a sweep, an ablation, a model comparison, pseudo-labelling. */
import { useState, type ReactNode } from 'react';
import { gql, useQuery } from '../api';
import { href, navigate } from '../router';
import { Empty, Section } from '../ui';

const KINDS: [string, string][] = [
  ['training', 'Training run'],
  ['sweep', 'Sweep'],
  ['ablation', 'Ablation'],
  ['comparison', 'Model comparison'],
  ['pseudo-label', 'Pseudo-labelling'],
];
const HEADS = ['TEXT', 'VISION', 'FCNN', 'FM1', 'FM2', 'XATTN', 'FM3', 'TEXT_FINETUNE'];

export function NewWorkPage({ kind, params }: { kind: string; params: URLSearchParams }) {
  const datasets = useQuery<{ datasets: { id: string; name: string; version: number; labelled: boolean; sampleCount: number }[] }>(`{ datasets { id name version labelled sampleCount } }`);
  const encoders = useQuery<{ encoders: { id: string; modality: string; needsWeights: boolean; description: string }[] }>(`{ encoders { id modality needsWeights description } }`);
  const [error, setError] = useState<string>();
  const [pending, setPending] = useState(false);

  const start = async (mutation: string, field: string, input: unknown, experiment: boolean) => {
    setPending(true);
    setError(undefined);
    try {
      const d = await gql(`mutation($input: ${mutation}) { ${field}(input: $input) { id } }`, { input });
      navigate(experiment ? `#/experiments/${d[field].id}` : `#/runs/${d[field].id}`);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setPending(false);
    }
  };

  const ds = datasets.data?.datasets ?? [];
  const props: FormProps = { datasets: ds, encoders: encoders.data?.encoders ?? [], start, pending, initialDataset: params.get('dataset') ?? ds[0]?.id ?? '' };
  return (
    <div>
      <h1>Start work</h1>
      <div className="tabs" role="navigation" aria-label="Kinds of work">
        {KINDS.map(([k, l]) => (
          <a key={k} href={href(`/new/${k}`, params.get('dataset') ? { dataset: params.get('dataset') } : undefined)} aria-current={k === kind ? 'page' : undefined}>
            {l}
          </a>
        ))}
      </div>
      {datasets.data && !ds.length ? (
        <Empty title="Import a dataset first">
          Everything trains on a dataset: <a href="#/datasets">import one</a>.
        </Empty>
      ) : (
        <Section title={KINDS.find(([k]) => k === kind)?.[1] ?? kind}>
          {kind === 'sweep' ? <SweepForm {...props} /> : kind === 'ablation' ? <AblationForm {...props} /> : kind === 'comparison' ? <ComparisonForm {...props} /> : kind === 'pseudo-label' ? <PseudoForm {...props} /> : <TrainingForm {...props} />}
          {error && (
            <div className="inline-error" role="alert">
              The server refused: {error}
            </div>
          )}
        </Section>
      )}
    </div>
  );
}

interface FormProps {
  datasets: { id: string; name: string; version: number; labelled: boolean; sampleCount: number }[];
  encoders: { id: string; modality: string; needsWeights: boolean; description: string }[];
  start: (mutation: string, field: string, input: unknown, experiment: boolean) => Promise<void>;
  pending: boolean;
  initialDataset: string;
}

function DatasetSelect({ value, onChange, datasets, label = 'Dataset', testId }: { value: string; onChange: (v: string) => void; datasets: FormProps['datasets']; label?: string; testId?: string }) {
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange(e.target.value)} required data-testid={testId}>
        {datasets.map((d) => (
          <option key={d.id} value={d.id}>
            {d.name} v{d.version} ({d.sampleCount.toLocaleString()}
            {d.labelled ? '' : ', unlabelled'})
          </option>
        ))}
      </select>
    </label>
  );
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <label>
      {label}
      {children}
    </label>
  );
}

/** Parses a JSON textarea, throwing a message the form shows. */
function json(text: string, what: string): any {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what} is not valid JSON.`);
  }
}

const num = (s: string) => (s.trim() === '' ? undefined : Number(s));
const clean = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '' && !(typeof v === 'number' && Number.isNaN(v))));

function Submit({ pending, label }: { pending: boolean; label: string }) {
  return (
    <div className="wide actions">
      <button type="submit" className="primary" disabled={pending}>
        {pending ? 'Starting…' : label}
      </button>
    </div>
  );
}

/** A form's fields as strings, with a change handler per field. */
function useFields<T extends Record<string, string>>(initial: T) {
  const [f, setF] = useState(initial);
  const set = (k: keyof T) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  return [f, setF, set] as const;
}

/**
 * One "start work" form: `submit` builds the input from the fields and starts the work; a message
 * it throws (JSON that does not parse, a malformed search space) is shown above the button.
 */
function WorkForm({ label, submitLabel, pending, submit, children }: { label: string; submitLabel: string; pending: boolean; submit: () => void; children: ReactNode }) {
  const [err, setErr] = useState<string>();
  return (
    <form
      className="form"
      aria-label={label}
      onSubmit={(e) => {
        e.preventDefault();
        try {
          setErr(undefined);
          submit();
        } catch (x) {
          setErr((x as Error).message);
        }
      }}
    >
      {children}
      {err && <div className="inline-error wide">{err}</div>}
      <Submit pending={pending} label={submitLabel} />
    </form>
  );
}

function TrainingForm({ datasets, encoders, start, pending, initialDataset }: FormProps) {
  const [f, setF, set] = useFields({ datasetId: initialDataset, name: '', head: 'TEXT', epochs: '20', learningRate: '', batchSize: '', optimizer: '', seed: '', hiddenUnits: '', dropout: '', lossWeighting: '', thresholds: '', textEncoder: '', visionEncoder: '', visionPath: '' });
  const text = encoders.filter((e) => e.modality === 'text');
  const image = encoders.filter((e) => e.modality !== 'text');
  return (
    <WorkForm
      label="New training run"
      submitLabel="Start training"
      pending={pending}
      submit={() => {
        void start('TrainingInput!', 'startTraining', clean({
          datasetId: f.datasetId || initialDataset,
          name: f.name || undefined,
          head: f.head,
          epochs: num(f.epochs),
          learningRate: num(f.learningRate),
          batchSize: num(f.batchSize),
          optimizer: f.optimizer || undefined,
          seed: num(f.seed),
          hiddenUnits: num(f.hiddenUnits),
          dropout: num(f.dropout),
          lossWeighting: f.lossWeighting || undefined,
          thresholds: f.thresholds || undefined,
          textEncoder: f.textEncoder ? { id: f.textEncoder } : undefined,
          visionEncoder: f.visionEncoder ? clean({ id: f.visionEncoder, path: f.visionPath || undefined }) : undefined,
        }), false);
      }}
    >
      <DatasetSelect value={f.datasetId || initialDataset} onChange={(v) => setF({ ...f, datasetId: v })} datasets={datasets} testId="train-dataset" />
      <Field label="Name (optional)">
        <input value={f.name} onChange={set('name')} data-testid="train-name" />
      </Field>
      <Field label="Head">
        <select value={f.head} onChange={set('head')} data-testid="train-head">
          {HEADS.map((h) => (
            <option key={h}>{h}</option>
          ))}
        </select>
      </Field>
      <Field label="Epochs">
        <input type="number" min="1" value={f.epochs} onChange={set('epochs')} data-testid="train-epochs" />
      </Field>
      <Field label="Learning rate">
        <input value={f.learningRate} onChange={set('learningRate')} placeholder="default" inputMode="decimal" />
      </Field>
      <Field label="Batch size">
        <input type="number" min="1" value={f.batchSize} onChange={set('batchSize')} placeholder="default" data-testid="train-batch" />
      </Field>
      <Field label="Optimizer">
        <select value={f.optimizer} onChange={set('optimizer')}>
          <option value="">default</option>
          <option>ADAM</option>
          <option>ADAMW</option>
        </select>
      </Field>
      <Field label="Seed">
        <input type="number" value={f.seed} onChange={set('seed')} placeholder="default" />
      </Field>
      <Field label="Hidden units (0 = one layer)">
        <input type="number" min="0" value={f.hiddenUnits} onChange={set('hiddenUnits')} placeholder="default" />
      </Field>
      <Field label="Dropout">
        <input value={f.dropout} onChange={set('dropout')} placeholder="default" inputMode="decimal" />
      </Field>
      <Field label="Loss weighting">
        <select value={f.lossWeighting} onChange={set('lossWeighting')}>
          <option value="">default</option>
          <option>NONE</option>
          <option>RECIPE</option>
        </select>
      </Field>
      <Field label="Thresholds">
        <select value={f.thresholds} onChange={set('thresholds')}>
          <option value="">default</option>
          <option>FIXED</option>
          <option>TUNED</option>
        </select>
      </Field>
      <Field label="Text encoder">
        <select value={f.textEncoder} onChange={set('textEncoder')}>
          <option value="">default (tfidf)</option>
          {text.map((e) => (
            <option key={e.id} value={e.id} title={e.description}>
              {e.id}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Image encoder">
        <select value={f.visionEncoder} onChange={set('visionEncoder')}>
          <option value="">default (centernet-coco)</option>
          {image.map((e) => (
            <option key={e.id} value={e.id} title={e.description}>
              {e.id}
            </option>
          ))}
        </select>
      </Field>
      {encoders.find((e) => e.id === f.visionEncoder)?.needsWeights && (
        <Field label="Image encoder folder on the server">
          <input value={f.visionPath} onChange={set('visionPath')} required />
        </Field>
      )}
    </WorkForm>
  );
}

const SPACE_HELP = 'One parameter a line: name = value, value, … (JSON values: 0.001, "ADAMW", {"id": "tfidf"}), or name = min..max [log] for random search.';

function parseSpace(text: string) {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [name, rest = ''] = l.split('=').map((s) => s.trim());
      const range = rest.match(/^([-\d.e]+)\s*\.\.\s*([-\d.e]+)(\s+log)?(\s+int)?$/);
      if (range) return clean({ name, min: Number(range[1]), max: Number(range[2]), log: range[3] ? true : undefined, integer: range[4] ? true : undefined });
      const values = json(`[${rest}]`, `The values of ${name}`);
      return { name, values };
    });
}

function SweepForm({ datasets, start, pending, initialDataset }: FormProps) {
  const [f, setF, set] = useFields({ datasetId: initialDataset, name: '', base: '{ "head": "TEXT", "epochs": 10 }', space: 'learningRate = 0.001, 0.003, 0.01\nhiddenUnits = 0, 64', strategy: 'GRID', trials: '', parallelism: '2', metric: 'microF1' });
  return (
    <WorkForm
      label="New sweep"
      submitLabel="Start sweep"
      pending={pending}
      submit={() => {
        void start('SweepInput!', 'startSweep', clean({ datasetId: f.datasetId || initialDataset, name: f.name || undefined, base: json(f.base, 'The base input'), space: parseSpace(f.space), strategy: f.strategy, trials: num(f.trials), parallelism: num(f.parallelism), objective: { metric: f.metric } }), true);
      }}
    >
      <DatasetSelect value={f.datasetId || initialDataset} onChange={(v) => setF({ ...f, datasetId: v })} datasets={datasets} />
      <Field label="Name (optional)">
        <input value={f.name} onChange={set('name')} />
      </Field>
      <Field label="Strategy">
        <select value={f.strategy} onChange={set('strategy')}>
          <option>GRID</option>
          <option>RANDOM</option>
        </select>
      </Field>
      <Field label="Trials (random search)">
        <input type="number" min="1" value={f.trials} onChange={set('trials')} placeholder="10" />
      </Field>
      <Field label="Trials at once">
        <input type="number" min="1" value={f.parallelism} onChange={set('parallelism')} />
      </Field>
      <Field label="Objective (val)">
        <select value={f.metric} onChange={set('metric')}>
          <option>microF1</option>
          <option>macroF1</option>
          <option>samplesF1</option>
          <option>loss</option>
        </select>
      </Field>
      <label className="wide">
        Base training input (JSON, startTraining's fields)
        <textarea rows={3} value={f.base} onChange={set('base')} spellCheck={false} />
      </label>
      <label className="wide">
        Search space. {SPACE_HELP}
        <textarea rows={4} value={f.space} onChange={set('space')} spellCheck={false} />
      </label>
    </WorkForm>
  );
}

function AblationForm({ datasets, start, pending, initialDataset }: FormProps) {
  const [f, setF, set] = useFields({ datasetId: initialDataset, name: '', base: '{ "epochs": 10 }', fusion: 'LOGITS', textHead: 'TEXT', parallelism: '2' });
  return (
    <WorkForm
      label="New ablation"
      submitLabel="Start ablation (the paper's seven configurations)"
      pending={pending}
      submit={() => {
        void start('AblationInput!', 'startAblation', clean({ datasetId: f.datasetId || initialDataset, name: f.name || undefined, base: json(f.base, 'The base input'), fusion: f.fusion, textHead: f.textHead, parallelism: num(f.parallelism) }), true);
      }}
    >
      <DatasetSelect value={f.datasetId || initialDataset} onChange={(v) => setF({ ...f, datasetId: v })} datasets={datasets} />
      <Field label="Name (optional)">
        <input value={f.name} onChange={set('name')} />
      </Field>
      <Field label="Fusion">
        <select value={f.fusion} onChange={set('fusion')}>
          <option value="LOGITS">LOGITS (average finished components)</option>
          <option value="JOINT">JOINT (train each fusion as one model)</option>
        </select>
      </Field>
      <Field label="Text head">
        <select value={f.textHead} onChange={set('textHead')}>
          <option>TEXT</option>
          <option>TEXT_FINETUNE</option>
        </select>
      </Field>
      <Field label="Trials at once">
        <input type="number" min="1" value={f.parallelism} onChange={set('parallelism')} />
      </Field>
      <label className="wide">
        Shared training input (JSON: encoders, epochs, …)
        <textarea rows={3} value={f.base} onChange={set('base')} spellCheck={false} />
      </label>
    </WorkForm>
  );
}

function ComparisonForm({ datasets, encoders, start, pending, initialDataset }: FormProps) {
  const [f, setF, set] = useFields({ datasetId: initialDataset, name: '', head: 'VISION', encoders: encoders.filter((e) => e.modality !== 'text' && !e.needsWeights).map((e) => e.id).join('\n') || 'centernet-coco', base: '{ "epochs": 10 }', parallelism: '2' });
  return (
    <WorkForm
      label="New model comparison"
      submitLabel="Start comparison"
      pending={pending}
      submit={() => {
        const list = f.encoders.split('\n').map((x) => x.trim()).filter(Boolean).map((x) => {
          const [id, path] = x.split(/\s+/);
          return clean({ id, path });
        });
        void start('ModelComparisonInput!', 'startModelComparison', clean({ datasetId: f.datasetId || initialDataset, name: f.name || undefined, head: f.head, encoders: list, base: json(f.base, 'The base input'), parallelism: num(f.parallelism) }), true);
      }}
    >
      <DatasetSelect value={f.datasetId || initialDataset} onChange={(v) => setF({ ...f, datasetId: v })} datasets={datasets} />
      <Field label="Name (optional)">
        <input value={f.name} onChange={set('name')} />
      </Field>
      <Field label="Head">
        <select value={f.head} onChange={set('head')}>
          {HEADS.map((h) => (
            <option key={h}>{h}</option>
          ))}
        </select>
      </Field>
      <Field label="Trials at once">
        <input type="number" min="1" value={f.parallelism} onChange={set('parallelism')} />
      </Field>
      <label className="wide">
        Encoders, one a line: id [folder on the server]. Known: {encoders.map((e) => e.id).join(', ')}
        <textarea rows={4} value={f.encoders} onChange={set('encoders')} spellCheck={false} />
      </label>
      <label className="wide">
        Shared training input (JSON)
        <textarea rows={2} value={f.base} onChange={set('base')} spellCheck={false} />
      </label>
    </WorkForm>
  );
}

function PseudoForm({ datasets, start, pending, initialDataset }: FormProps) {
  const [f, setF, set] = useFields({ datasetId: initialDataset, unlabelledDatasetId: datasets.find((d) => !d.labelled)?.id ?? initialDataset, unlabelledSplit: '', name: '', maxRounds: '3', minConfidence: '', minImprovement: '', base: '{ "epochs": 10 }', parallelism: '2' });
  return (
    <WorkForm
      label="New pseudo-labelling"
      submitLabel="Start pseudo-labelling"
      pending={pending}
      submit={() => {
        void start('PseudoLabelingInput!', 'startPseudoLabeling', clean({ datasetId: f.datasetId || initialDataset, unlabelledDatasetId: f.unlabelledDatasetId, unlabelledSplit: f.unlabelledSplit || undefined, name: f.name || undefined, maxRounds: num(f.maxRounds), minConfidence: num(f.minConfidence), minImprovement: num(f.minImprovement), base: json(f.base, 'The base input'), parallelism: num(f.parallelism) }), true);
      }}
    >
      <DatasetSelect value={f.datasetId || initialDataset} onChange={(v) => setF({ ...f, datasetId: v })} datasets={datasets} label="Labelled dataset" />
      <DatasetSelect value={f.unlabelledDatasetId} onChange={(v) => setF({ ...f, unlabelledDatasetId: v })} datasets={datasets} label="Unlabelled samples from" />
      <Field label="Split of it (optional)">
        <select value={f.unlabelledSplit} onChange={set('unlabelledSplit')}>
          <option value="">whole dataset</option>
          <option>UNLABELLED</option>
          <option>TRAIN</option>
          <option>VAL</option>
        </select>
      </Field>
      <Field label="Name (optional)">
        <input value={f.name} onChange={set('name')} />
      </Field>
      <Field label="Max rounds">
        <input type="number" min="1" value={f.maxRounds} onChange={set('maxRounds')} />
      </Field>
      <Field label="Min confidence (0–1)">
        <input value={f.minConfidence} onChange={set('minConfidence')} placeholder="0" inputMode="decimal" />
      </Field>
      <Field label="Min improvement">
        <input value={f.minImprovement} onChange={set('minImprovement')} placeholder="0" inputMode="decimal" />
      </Field>
      <Field label="Trials at once">
        <input type="number" min="1" value={f.parallelism} onChange={set('parallelism')} />
      </Field>
      <label className="wide">
        Training input shared by the text and vision trials (JSON)
        <textarea rows={2} value={f.base} onChange={set('base')} spellCheck={false} />
      </label>
    </WorkForm>
  );
}
