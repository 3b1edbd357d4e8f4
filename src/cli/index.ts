import { Command, Option } from 'commander';
import { ConfigError } from '../config.js';
import { isAppError } from '../errors.js';
import { version } from '../version.js';
import { importCommand } from './import.js';
import { migrateCommand, serveCommand, workerCommand } from './serve.js';
import { extractCommand, trainCommand } from './train.js';

const program = new Command()
  .name('tagfusion')
  .description('Multimodal multi-label classification experiments: datasets, runs, metrics, models.')
  .version(version);

program
  .command('serve')
  .description('serve the GraphQL API and dashboards, and work queued jobs')
  .option('--no-work', 'do not work jobs in this process (API only)')
  .action(serveCommand);

program.command('worker').description('work queued jobs (share a PostgreSQL server with the API servers)').action(workerCommand);

program.command('migrate').description('apply database migrations and exit').action(migrateCommand);

program
  .command('import')
  .description('import a caption CSV (and its images) as a dataset version')
  .argument('<csv>', 'ImageID,Labels,Caption or ImageID,Caption file')
  .requiredOption('-n, --name <name>', 'dataset name')
  .option('-i, --images <dir>', 'folder of the images named by ImageID (omit for text only)')
  .addOption(new Option('--val-fraction <x>', 'share held out for validation').argParser(parseFloat).default(0.1))
  .addOption(new Option('--seed <n>', 'seed of the stratified split').argParser((v) => parseInt(v, 10)).default(42))
  .option('--json', 'print the result as JSON')
  .action(importCommand);

const num = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`not a number: ${v}`);
  return n;
};

program
  .command('extract')
  .description('compute (or find cached) features of a dataset for one encoder')
  .requiredOption('-d, --dataset <id>', 'dataset version id')
  .requiredOption('-e, --encoder <id>', 'encoder id (see the encoders query)')
  .option('--path <dir>', 'local folder of the encoder model')
  .option('--hub <id>', 'Hugging Face hub id of the encoder model (needs network)')
  .option('--flip', 'also encode mirrored images')
  .option('--synonyms <n>', 'also encode n rounds of synonym-augmented captions', num)
  .option('--json', 'print the result as JSON')
  .action(extractCommand);

program
  .command('train')
  .description('train a head or fusion module on cached features and print its validation metrics')
  .requiredOption('-d, --dataset <id>', 'dataset version id')
  .requiredOption('--head <kind>', 'vision, text, fm1, fcnn, fm2, xattn or fm3')
  .option('--name <name>', 'run name')
  .option('--extra-train <ids...>', 'more labelled datasets used entirely for training')
  .option('--components <runIds...>', 'fm1/fm2/fm3: fuse these finished runs instead of training')
  .option('--vision-encoder <id>', 'image encoder (default centernet-coco)')
  .option('--vision-encoder-path <dir>', 'local folder of the image encoder model')
  .option('--vision-encoder-hub <id>', 'hub id of the image encoder model')
  .option('--text-encoder <id>', 'text encoder (default tfidf)')
  .option('--text-encoder-path <dir>', 'local folder of the text encoder model')
  .option('--text-encoder-hub <id>', 'hub id of the text encoder model')
  .option('--lr <x>', 'learning rate', num)
  .option('--batch-size <n>', 'batch size', num)
  .option('--epochs <n>', 'epochs', num)
  .option('--optimizer <name>', 'adam or adamw')
  .option('--weight-decay <x>', 'decoupled weight decay (adamw)', num)
  .option('--seed <n>', 'seed', num)
  .option('--loss-weighting <mode>', 'none or recipe')
  .option('--hidden-units <n>', 'hidden layer width (0 = one FC layer)', num)
  .option('--dropout <x>', 'dropout rate', num)
  .option('--thresholds <mode>', 'fixed or tuned')
  .option('--patience <n>', 'early stopping patience (epochs)', num)
  .option('--stop-metric <name>', 'microF1, macroF1, samplesF1 or loss')
  .option('--flip', 'flip augmentation (cached mirrored-image features)')
  .option('--synonyms <n>', 'rounds of synonym-augmented captions', num)
  .option('--json', 'print the result as JSON')
  .action(trainCommand);

program.parseAsync().catch((err) => {
  if (err instanceof ConfigError || isAppError(err)) {
    process.stderr.write(`tagfusion: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`tagfusion: ${err?.stack ?? err}\n`);
  process.exit(1);
});
