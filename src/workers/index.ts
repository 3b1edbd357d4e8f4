// piscina task entry points: each named export is a task (WorkerPool.run(name, ...)).
// Tasks compute only: no database, no GraphQL; progress goes through the message port, and
// each ends with TASK_DONE on it (finishing) so the caller knows it has every message.
import { finishing } from './finishing.js';
import { imageCheck as imageCheckTask } from './image-check.js';
import { encoderInfo as encoderInfoTask, extractPart as extractPartTask } from './features.js';
import { trainModel as trainModelTask } from './training.js';
import { finetuneText as finetuneTextTask } from './finetune.js';
import { componentLogits as componentLogitsTask } from './fusion.js';
import { predict as predictTask } from './predict.js';

export const imageCheck = finishing(imageCheckTask);
export const encoderInfo = finishing(encoderInfoTask);
export const extractPart = finishing(extractPartTask);
export const trainModel = finishing(trainModelTask);
export const finetuneText = finishing(finetuneTextTask);
export const componentLogits = finishing(componentLogitsTask);
export const predict = finishing(predictTask);
