import { basename } from 'node:path';
import type { PrismaClient, Run } from '../db/generated/client.js';
import type { EncoderSpec } from '../ml/encoders/registry.js';
import { ABLATION_CONFIGS, describeValue } from './plan.js';
import { parseExperimentInput, ROUND_KIND, type ExperimentKind } from './input.js';
import { STOPPED_EARLY } from './sweep.js';
import { SHORT_RUN_ID } from '../refs/run-ref.js';

/** A result table: a header row and rows of cells (numbers stay numbers until rendered). */
export interface Table {
  title: string;
  columns: string[];
  rows: (string | number | null)[][];
}

type Summary = { val?: Record<string, number>; seconds?: number; parameters?: number; encoderParameters?: number; epochsRun?: number; bestEpoch?: number };
const summaryOf = (r: Run) => (r.summary ?? {}) as Summary;
/** A trial's run as the tables print it: the start of its id, which every command taking a run accepts back (src/refs/run-ref.ts). */
const runLabel = (r: Run) => r.id.slice(0, SHORT_RUN_ID);
const trialKey = (r: Run & { params: { key: string; valueText: string }[] }) => r.params.find((p) => p.key === 'trial')?.valueText;

/** The experiment's result shaped like the paper's tables (1: encoders, 2/3: hyperparameters, 5: ablation). */
export async function experimentTable(prisma: PrismaClient, experiment: Run): Promise<Table> {
  const children = await prisma.run.findMany({ where: { parentId: experiment.id }, include: { params: true }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  const trainSummaries = await prisma.metricSummary.findMany({ where: { runId: { in: children.map((c) => c.id) }, name: 'microF1', split: 'train' } });
  const trainF1 = new Map(trainSummaries.map((s) => [s.runId, s.lastValue]));
  const kind = experiment.kind as ExperimentKind;
  if (kind === 'sweep') {
    const input = parseExperimentInput('sweep', experiment.config);
    const names = input.space.map((p) => p.name);
    const metric = `${input.objective.split} ${input.objective.metric}`;
    return {
      title: `Sweep (${input.strategy}, ${children.length} trials): ${metric} per hyperparameter setting`,
      columns: ['Trial', ...names, metric, 'Val loss', 'Epochs', 'Time (s)', 'Status', 'Run'],
      rows: children.map((r) => {
        const config = r.config as Record<string, unknown>;
        const s = summaryOf(r);
        const stopped = r.params.find((p) => p.key === STOPPED_EARLY);
        const value = (r.summary as Record<string, Record<string, number>> | null)?.[input.objective.split]?.[input.objective.metric];
        return [trialKey(r) ?? r.id, ...names.map((n) => describeValue(valueAt(config, n))), value ?? null, s.val?.loss ?? null, s.epochsRun ?? null, round(s.seconds, 1), stopped ? 'stopped early' : r.status.toLowerCase(), runLabel(r)];
      }),
    };
  }
  if (kind === 'model-comparison') {
    const input = parseExperimentInput('model-comparison', experiment.config);
    const sets = await prisma.featureSet.findMany({ where: { datasetId: experiment.datasetId ?? undefined, variant: 'original' } });
    return {
      title: `Model comparison: ${input.head} head per encoder (Table 1)`,
      columns: ['Encoder', 'Encoder parameters', 'Head parameters', 'Extraction (s)', 'Training (s)', 'Val micro-F1', 'Val macro-F1', 'Val loss', 'Status', 'Run'],
      rows: children.map((r) => {
        const s = summaryOf(r);
        const enc = ((r.summary as { encoders?: Record<string, { id: string; version: string } | undefined> } | null)?.encoders ?? {}) as Record<string, { id: string; version: string } | undefined>;
        const config = r.config as { visionEncoder?: EncoderSpec | null; textEncoder?: EncoderSpec | null };
        const text = input.modality === 'text' || (!input.modality && /text/.test(input.head));
        const encoder = text ? enc.text : enc.image;
        const spec = text ? config.textEncoder : config.visionEncoder;
        const extraction = sets.find((f) => f.encoderId === encoder?.id && f.encoderVersion === encoder?.version)?.seconds;
        return [spec ? encoderLabel(spec) : (encoder?.id ?? '?'), s.encoderParameters ?? null, s.parameters ?? null, round(extraction, 1), round(s.seconds, 1), s.val?.microF1 ?? null, s.val?.macroF1 ?? null, s.val?.loss ?? null, r.status.toLowerCase(), runLabel(r)];
      }),
    };
  }
  if (kind === 'ablation') {
    const byKey = new Map(children.map((r) => [trialKey(r), r]));
    return {
      title: 'Ablation of the fusion modules (Table 5)',
      columns: ['Configuration', 'Val micro-F1', 'Val macro-F1', 'Val samples-F1', 'Train micro-F1', 'Val loss', 'Time (s)', 'Parameters', 'Status', 'Run'],
      rows: ABLATION_CONFIGS.map((c) => {
        const r = byKey.get(c.key);
        if (!r) return [c.label, null, null, null, null, null, null, null, 'not run', null];
        const s = summaryOf(r);
        return [c.label, s.val?.microF1 ?? null, s.val?.macroF1 ?? null, s.val?.samplesF1 ?? null, trainF1.get(r.id) ?? null, s.val?.loss ?? null, round(s.seconds, 1), s.parameters ?? null, r.status.toLowerCase(), runLabel(r)];
      }),
    };
  }
  const input = parseExperimentInput('pseudo-label', experiment.config);
  const rounds = children.filter((c) => c.kind === ROUND_KIND);
  const artifacts = await prisma.artifact.findMany({ where: { runId: { in: rounds.map((r) => r.id) }, name: 'pseudo-labels' } });
  const kept = new Map(artifacts.map((a) => [a.runId, (a.metadata as { kept?: number }).kept ?? null]));
  const scores = rounds.map((r) => (r.summary as { score?: number } | null)?.score);
  const metric = `${input.objective.split} ${input.objective.metric}`;
  return {
    title: `Pseudo-labelling: fused ${metric} per round`,
    columns: ['Round', 'Pseudo-labelled samples', `Fused ${metric}`, 'Change vs round 0', 'Text run', 'Vision run', 'Status'],
    rows: rounds.map((r, i) => {
      const s = (r.summary ?? {}) as { round?: number; textRunId?: string; visionRunId?: string };
      return [s.round ?? i, kept.get(r.id) ?? (i === 0 ? 0 : null), scores[i] ?? null, scores[i] !== undefined && scores[0] !== undefined ? scores[i]! - scores[0]! : null, s.textRunId ?? null, s.visionRunId ?? null, r.status.toLowerCase()];
    }),
  };
}

/** An encoder as people tell them apart: its id, and the folder or hub id of its weights. */
const encoderLabel = (spec: EncoderSpec) => `${spec.id}${spec.path ? ` (${basename(spec.path)})` : spec.hubId ? ` (${spec.hubId})` : ''}`;

function valueAt(config: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), config);
}

const round = (v: number | undefined, digits: number) => (v === undefined ? null : Number(v.toFixed(digits)));

/** Numbers to at most four decimals (0.7776, 64.5, 2). */
const cellText = (v: string | number | null) => (v === null ? '' : typeof v === 'number' ? String(Number(v.toFixed(4))) : v);

/** GitHub-flavoured Markdown, with the title as a caption line. */
export function toMarkdown(t: Table): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const line = (cells: string[]) => `| ${cells.map(esc).join(' | ')} |`;
  return [`**${t.title}**`, '', line(t.columns), `|${t.columns.map(() => ' --- ').join('|')}|`, ...t.rows.map((r) => line(r.map((v) => (v === null ? '—' : cellText(v)))))].join('\n') + '\n';
}

/** RFC 4180 CSV: header row, then rows; numbers at full precision. */
export function toCsv(t: Table): string {
  const quote = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [t.columns, ...t.rows.map((r) => r.map((v) => (v === null ? '' : String(v))))].map((r) => r.map(quote).join(',')).join('\r\n') + '\r\n';
}
