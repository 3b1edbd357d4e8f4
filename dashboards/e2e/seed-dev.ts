/** For development: starts a server, seeds a dataset and a few runs, prints the URL, keeps running. */
import { importDataset, startServer, startTraining, waitForRun } from './support';

const server = await startServer(process.env.PORT ? {} : {});
console.log(`server at ${server.origin}`);
const ds = await importDataset(server, 'captions');
console.log('dataset', ds.id);
const t0 = Date.now();
const ids = [];
for (const lr of [0.001, 0.003, 0.01]) ids.push(await startTraining(server, ds.id, { learningRate: lr, name: `text lr=${lr}` }));
for (const id of ids) console.log(id, await waitForRun(server, id), Date.now() - t0, 'ms');
process.on('SIGINT', async () => (await server.stop(), process.exit(0)));
process.on('SIGTERM', async () => (await server.stop(), process.exit(0)));
await new Promise(() => undefined);
