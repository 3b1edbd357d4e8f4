import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../config.js';
import { errors, isAppError } from '../errors.js';
import { version } from '../version.js';
import { TRAINING_HEADS } from '../ml/heads/kinds.js';
import { ablateCommand, compareEncodersCommand, compareRunsCommand, pseudoLabelCommand, sweepCommand } from './experiments.js';
import { exportCommand } from './export.js';
import { daysArgument, gcCommand } from './gc.js';
import { importCommand } from './import.js';
import { datasetsCommand } from './datasets.js';
import { runsCommand } from './runs.js';
import { jobsCancelCommand, jobsCommand } from './jobs.js';
import { jobsWorkCommand } from './jobs-work.js';
import { Interrupted, INTERRUPTED_EXIT_CODE } from './interrupt.js';
import { modelsCommand, promoteCommand, registerCommand } from './models.js';
import { predictCommand } from './predict.js';
import { tokenCreateCommand, tokenListCommand, tokenRevokeCommand } from './token.js';
import { extractCommand, trainCommand } from './train.js';

const program = new Command()
  .name('tagfusion')
  .description('Multimodal multi-label classification experiments: datasets, runs, metrics, models.')
  .version(version)
  // Program options (--version) only before a command, so that `promote --version N` reaches promote.
  .enablePositionalOptions();

program
  .command('serve')
  .description('serve the GraphQL API and dashboards, and work queued jobs')
  .option('--no-work', 'do not work jobs in this process (API only)')
  .action(async (o) => (await import('./serve.js')).serveCommand(o));

program.command('worker').description('work queued jobs (share a PostgreSQL server with the API servers)').action(async () => (await import('./serve.js')).workerCommand());

program.command('migrate').description('apply database migrations and exit').action(async () => (await import('./serve.js')).migrateCommand());

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
  // commander prints an InvalidArgumentError as `error: option '--lr <x>' argument 'abc' is invalid. …`, without a stack.
  if (!v.trim() || !Number.isFinite(n)) throw new InvalidArgumentError('not a number.');
  return n;
};

program
  .command('extract')
  .description('compute (or find cached) features of a dataset for one encoder')
  .requiredOption('-d, --dataset <ref>', 'dataset: name (latest version), name@version or id')
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
  .requiredOption('-d, --dataset <ref>', 'dataset: name (latest version), name@version or id')
  // from the list training accepts, so that help never misses a head (text-finetune did)
  .requiredOption('--head <kind>', `${TRAINING_HEADS.slice(0, -1).join(', ')} or ${TRAINING_HEADS.at(-1)}`)
  .option('--name <name>', 'run name')
  .option('--project <name|id>', 'project the run goes into (default: Default)')
  .option('--extra-train <ids...>', 'more labelled datasets used entirely for training')
  .option('--components <runIds...>', 'fm1/fm2/fm3, stack or ensemble: fuse these finished runs instead of training')
  .option('--vision-encoder <id>', 'image encoder (default centernet-coco)')
  .option('--vision-encoder-path <dir>', 'local folder of the image encoder model')
  .option('--vision-encoder-hub <id>', 'hub id of the image encoder model')
  .option('--text-encoder <id>', 'text encoder (default tfidf)')
  .option('--text-encoder-path <dir>', 'local folder of the text encoder model')
  .option('--text-encoder-hub <id>', 'hub id of the text encoder model')
  .option('--lr <x>', 'learning rate (default per head: 3e-3; text-finetune 1e-3)', num)
  .option('--batch-size <n>', 'batch size (default per head: 128; text-finetune 64)', num)
  .option('--epochs <n>', 'epochs (default per head: 25; text-finetune 3)', num)
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

const whole = (v: string) => {
  if (!/^\d+$/.test(v)) throw new Error(`not a whole number: ${v}`);
  return Number(v);
};

program.command('models').description('list registered models with their versions and aliases').option('--json', 'print the result as JSON').action(modelsCommand);

program.command('datasets').description('list dataset versions (a name or name@version works wherever a dataset id does)').option('--json', 'print the result as JSON').action(datasetsCommand);

program
  .command('runs')
  .description('list runs, newest first (a unique run name or the start of an id works wherever a run id does)')
  .option('-d, --dataset <ref>', 'only runs of this dataset: name, name@version or id')
  .option('--project <name|id>', 'only runs of this project')
  .option('--status <list>', 'only these statuses, comma-separated: queued, running, succeeded, failed, cancelled')
  .option('--limit <n>', 'at most this many runs', whole, 20)
  .option('--json', 'print the result as JSON')
  .action(runsCommand);

program
  .command('register')
  .description("register a finished training run's model artifact as the next version of a model")
  .requiredOption('--run <ref>', 'finished training run: id, unique name or id start')
  .requiredOption('--model <name>', 'registered model (created when new)')
  .option('--description <text>', "the version's description (the model's too when this creates the model)")
  .option('--json', 'print the result as JSON')
  .action(registerCommand);

program
  .command('promote')
  .description('point an alias (champion, challenger, …) of a model at a version')
  .requiredOption('--model <name>', 'registered model')
  .requiredOption('--version <n>', 'version number', whole)
  .requiredOption('--alias <name>', 'alias to move')
  .option('--expect <n>', 'move only if the alias points at this version now (0: unset)', whole)
  .option('--allow-signature-change', 'move even when the version eats other inputs or returns other labels than the one the alias points at')
  .option('--json', 'print the result as JSON')
  .action(promoteCommand);

program
  .command('predict')
  .description('predict a dataset (or one split) with a registered model and write the submission file (ImageID,Labels)')
  .requiredOption('--model <ref>', 'name@alias or name/version')
  .requiredOption('-d, --dataset <ref>', 'dataset: name (latest version), name@version or id')
  .option('--split <split>', 'train, val or unlabelled (default: every sample)')
  .requiredOption('-o, --out <file>', 'where to write the submission CSV')
  .option('--json', 'print the result as JSON')
  .action(predictCommand);

const encoderFlags = (c: Command) =>
  c
    .option('--vision-encoder <id>', 'vision encoder of every trial (default centernet-coco)')
    .option('--vision-encoder-path <dir>', 'local folder of the vision encoder')
    .option('--text-encoder <id>', 'text encoder of every trial (default tfidf)')
    .option('--text-encoder-path <dir>', 'local folder of the text encoder');

const experimentFlags = (c: Command) =>
  encoderFlags(c)
    .requiredOption('-d, --dataset <ref>', 'labelled dataset: name (latest version), name@version or id')
    .option('--name <name>', 'experiment name')
    .option('--project <name|id>', 'project the experiment and its trials go into (default: Default)')
    .option('--epochs <n>', 'epochs of every trial', whole)
    .option('--base <json>', 'training input shared by every trial, as JSON (startTraining fields)')
    .option('--parallelism <n>', 'trials trained at the same time', whole)
    .option('--csv', 'print the table as CSV (default Markdown)')
    .option('--json', 'print the run, its outcome and table as JSON');

experimentFlags(program.command('sweep').description('grid or random search over training inputs; prints the trials table'))
  .option('--head <kind>', 'head of every trial (or sweep it: --param head=text,fcnn)')
  .requiredOption('-p, --param <spec...>', 'name=v1,v2,… (values) or name=min:max[:log] (range, with --random); e.g. learningRate=0.001,0.01 optimizer=adam,adamw')
  .option('--random', 'random search instead of the full grid')
  .option('--trials <n>', 'random search: number of trials', whole)
  .option('--seed <n>', 'random search: seed', whole)
  .option('--objective <metric>', 'validation metric to rank by (default microF1)')
  .option('--median-stop', 'stop trials below the median of the others (after 3 epochs)')
  .action(sweepCommand);

experimentFlags(program.command('ablate').description("the paper's seven configurations (vision, text, FM1, +FCNN, FM2, +cross-attention, FM3); prints Table 5"))
  .option('--fusion <how>', 'logits (average finished runs, default) or joint (train each fusion)')
  .option('--text-head <kind>', 'text (head on text features, default) or text-finetune (BERT)')
  .action(ablateCommand);

experimentFlags(program.command('pseudo-label').description('pseudo-labelling rounds with an unlabelled dataset; prints the per-round table'))
  .requiredOption('-u, --unlabelled <id>', 'dataset whose samples are pseudo-labelled (its labels are ignored)')
  .option('--split <split>', 'only this split of it (train, val or unlabelled)')
  .option('--rounds <n>', 'most rounds after the first (default 3)', whole)
  .option('--min-confidence <x>', 'keep pseudo-labels whose top probability reaches x', num)
  .option('--predict', "transductive: then predict the unlabelled samples with the best round's fused model (the run's submission artifact)")
  .option('--text <json>', 'training input of the text trials, as JSON')
  .option('--vision <json>', 'training input of the vision trials, as JSON')
  .action(pseudoLabelCommand);

program
  .command('compare')
  .description('compare encoders under one head (--encoders, prints Table 1), or finished runs side by side (--runs)')
  .option('-d, --dataset <id>', 'dataset version id (with --encoders)')
  .option('--encoders <ids...>', 'encoders to compare: id, or id=folder for local weights')
  .option('--head <kind>', 'with --encoders: the head (default vision)')
  .option('--modality <m>', 'with --encoders: image or text (default: the head\'s)')
  .option('--epochs <n>', 'with --encoders: epochs of every trial', whole)
  .option('--base <json>', 'with --encoders: training input shared by every trial, as JSON')
  .option('--parallelism <n>', 'with --encoders: trials trained at the same time', whole)
  .option('--project <name|id>', 'with --encoders: project the experiment and its trials go into (default: Default)')
  .option('--runs <ids...>', 'finished runs to put side by side')
  .option('--last', 'with --runs: compare at the last epoch instead of the best')
  .option('--metric <name>', 'with --runs: validation metric that picks the best epoch (default microF1)')
  .option('--csv', 'print the table as CSV')
  .option('--json', 'print the result as JSON')
  .action(async (o) => {
    if (o.runs?.length && o.encoders?.length) throw errors.badInput('give --encoders or --runs, not both', { field: '--runs' });
    if (o.runs?.length) return compareRunsCommand(o);
    if (!o.encoders?.length || !o.dataset) throw errors.badInput('give --dataset and --encoders (compare encoders), or --runs (compare runs)', { field: '--encoders' });
    return compareEncodersCommand(o);
  });

const jobs = program
  .command('jobs')
  .description('list jobs, newest first (queued, running and finished); see also jobs cancel and jobs work')
  .option('--status <list>', 'only these statuses, comma-separated: queued, running, succeeded, failed, cancelled')
  .option('--limit <n>', 'at most this many jobs', whole, 50)
  .option('--json', 'print the result as JSON')
  .action(jobsCommand);
jobs
  .command('cancel')
  .description('cancel a queued job at once, or ask a running one to stop; a cancelled job never runs again')
  .argument('<id>', 'job id')
  .option('--json', 'print the result as JSON')
  .action(jobsCancelCommand);
jobs
  .command('work')
  .description('work every queued job (whoever queued it) in this process until the queue is empty; Ctrl-C hands running ones back')
  .option('--json', 'print the jobs worked as JSON')
  .action(jobsWorkCommand);

const token = program.command('token').description('API tokens (acts on the database directly, as its owner; makes the first admin token)');
token
  .command('create')
  .description('create a token and print its secret, once')
  .requiredOption('--name <name>', 'who or what uses it')
  .requiredOption('--role <role>', 'viewer, editor or admin')
  .option('--json', 'print the result as JSON')
  .action(tokenCreateCommand);
token.command('list').description('list tokens (never their secrets)').option('--json', 'print the result as JSON').action(tokenListCommand);
token.command('revoke').description('revoke a token at once').argument('<id>', 'token id').option('--json', 'print the result as JSON').action(tokenRevokeCommand);

program
  .command('export')
  .description('print the runs table (one row per run) or every metric point as CSV or JSON lines (data on stdout, logs on stderr)')
  .addArgument(new Argument('<table>', 'runs or metrics').choices(['runs', 'metrics']))
  .addOption(new Option('--format <format>', 'csv or jsonl').choices(['csv', 'jsonl']).default('csv'))
  .option('--project <name|id>', 'only runs of this project (a name, or an id when no project has that name)')
  .option('--run <ids...>', 'only these runs (deleted ones too)')
  .addOption(new Option('--lifecycle <which>', 'active (default), deleted or all').choices(['active', 'deleted', 'all']))
  .option('--out <file>', 'write to this file (whole or not at all) instead of stdout')
  .action(exportCommand);

program
  .command('gc')
  .description('remove deleted runs, projects and model versions for good, with their files (never a file a model version uses)')
  .addOption(new Option('--older-than <days>', 'only items deleted at least this many days ago').argParser(daysArgument).default(0))
  .option('--dry-run', 'report what would be removed, change nothing')
  .option('--json', 'print the report as JSON')
  .action(gcCommand);

program.parseAsync().catch((err) => {
  if (err instanceof Interrupted) {
    process.stderr.write(`tagfusion: ${err.message}\n`);
    process.exit(INTERRUPTED_EXIT_CODE);
  }
  if (err instanceof ConfigError || isAppError(err)) {
    process.stderr.write(`tagfusion: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`tagfusion: ${err?.stack ?? err}\n`);
  process.exit(1);
});
