// piscina task entry points: each named export is a task (WorkerPool.run(name, ...)).
// Tasks compute only: no database, no GraphQL; progress goes through the message port, and
// each ends with TASK_DONE on it (finishing) so the caller knows it has every message.
import { workerData } from 'node:worker_threads';
import { lowerThreadPriority, type CpuPriority } from './cpu-priority.js';
import { finishing } from './finishing.js';
import { imageCheck as imageCheckTask } from './image-check.js';
import { parseCsv as parseCsvTask } from './csv-parse.js';
import { encoderInfo as encoderInfoTask, extractPart as extractPartTask } from './features.js';
import { trainModel as trainModelTask } from './training.js';
import { finetuneText as finetuneTextTask } from './finetune.js';
import { componentLogits as componentLogitsTask } from './fusion.js';
import { foldLogits as foldLogitsTask } from './fold-logits.js';
import { predict as predictTask } from './predict.js';

// Job pools ask for a lower CPU priority (TAGFUSION_JOB_CPU_PRIORITY); it holds for this thread's life.
const { cpuPriority } = (workerData ?? {}) as { cpuPriority?: CpuPriority };
if (cpuPriority) lowerThreadPriority(cpuPriority);

export const imageCheck = finishing(imageCheckTask);
export const parseCsv = finishing(parseCsvTask);
export const encoderInfo = finishing(encoderInfoTask);
export const extractPart = finishing(extractPartTask);
export const trainModel = finishing(trainModelTask);
export const finetuneText = finishing(finetuneTextTask);
export const componentLogits = finishing(componentLogitsTask);
export const foldLogits = finishing(foldLogitsTask);
export const predict = finishing(predictTask);
