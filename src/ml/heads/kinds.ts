/**
 * The recipe's modules (DESIGN.md §1, the paper's ablation): single-modality heads, the
 * concatenating FCNN, the cross-attention FCNN, and the logit fusions FM1–FM3, which average
 * the logits of components trained side by side.
 */
export const HEAD_KINDS = ['vision', 'text', 'fm1', 'fcnn', 'fm2', 'xattn', 'fm3'] as const;
export type HeadKind = (typeof HEAD_KINDS)[number];

/** A trainable part; a head kind is the average of the logits of its components. */
export type Component = 'vision' | 'text' | 'fcnn' | 'xattn';

export const COMPONENTS: Record<HeadKind, Component[]> = {
  vision: ['vision'],
  text: ['text'],
  fm1: ['vision', 'text'],
  fcnn: ['fcnn'],
  fm2: ['vision', 'text', 'fcnn'],
  xattn: ['xattn'],
  fm3: ['vision', 'text', 'xattn'],
};

export function needsImage(kind: HeadKind): boolean {
  return COMPONENTS[kind].some((c) => c !== 'text');
}

export function needsText(kind: HeadKind): boolean {
  return COMPONENTS[kind].some((c) => c !== 'vision');
}

/**
 * Fusions that only exist over finished runs (componentRunIds): `stack` learns per-class
 * weights for its components' logits; `ensemble` averages runs of one configuration (seeds).
 */
export const RUN_FUSIONS = ['stack', 'ensemble'] as const;
export type RunFusion = (typeof RUN_FUSIONS)[number];

export const isRunFusion = (head: string): head is RunFusion => (RUN_FUSIONS as readonly string[]).includes(head);

/** What a training run can train: a head on cached features, BERT fine-tuned end to end, or a fusion of runs. */
export const TRAINING_HEADS = [...HEAD_KINDS, 'text-finetune', ...RUN_FUSIONS] as const;
export type TrainingHead = (typeof TRAINING_HEADS)[number];

/** Modalities a training head reads (a fusion of runs reads none itself: its runs did). */
export function modalitiesOf(head: TrainingHead): { image: boolean; text: boolean } {
  if (head === 'text-finetune') return { image: false, text: true };
  if (isRunFusion(head)) return { image: false, text: false };
  return { image: needsImage(head), text: needsText(head) };
}
