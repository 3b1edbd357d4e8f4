import { Command, Option } from 'commander';
import { ConfigError } from '../config.js';
import { isAppError } from '../errors.js';
import { version } from '../version.js';
import { importCommand } from './import.js';
import { migrateCommand, serveCommand, workerCommand } from './serve.js';

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

program.parseAsync().catch((err) => {
  if (err instanceof ConfigError || isAppError(err)) {
    process.stderr.write(`tagfusion: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`tagfusion: ${err?.stack ?? err}\n`);
  process.exit(1);
});
