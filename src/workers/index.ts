// piscina task entry points: each named export is a task (WorkerPool.run(name, ...)).
// Tasks compute only: no database, no GraphQL; progress goes through the message port.
export { imageCheck } from './image-check.js';
export { encoderInfo, extractPart } from './features.js';
export { trainModel } from './training.js';
export { finetuneText } from './finetune.js';
export { componentLogits } from './fusion.js';
