import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/registry/actor.js';
import { DB_KINDS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { hex, runWithFiles, servableFolder } from './folder-fixtures.js';
import { finishedRun } from './fixtures.js';

const MOVE = `mutation($input: MoveAliasInput!) { moveAlias(input: $input) { changed previousVersion alias { version } } }`;
const VERSION = `query($m: String!, $v: Int, $a: String) { modelVersion(model: $m, version: $v, alias: $a) {
  version format servable unservableReason signature source description } }`;
const editor: Actor = { name: 'eddie', role: 'editor' };

describe.each(DB_KINDS)('version signatures and the flag to move an alias across them on %s', (kind) => {
  let server: TestServer;
  const move = (alias: string, version: number, allowSignatureChange?: boolean) => server.gql(MOVE, { input: { model: 'sig', alias, version, allowSignatureChange } });
  const fromFolder = async (files: Record<string, unknown>, description?: string) =>
    (await server.app.services.registry.lifecycle.createVersion(editor, { model: 'sig', source: `runs:/${hex(await runWithFiles(server.app, files as never))}/model`, description })).version;

  beforeAll(async () => {
    server = await startTestServer(kind, { workJobs: false });
    const head = await finishedRun(server.app, { macroF1: 0.5 });
    await server.data(`mutation($input: RegisterModelVersionInput!) { registerModelVersion(input: $input) { created } }`, { input: { runId: head.runId, model: 'sig' } });
  });
  afterAll(async () => server?.close());

  it('shows each version’s format, servability, signature, source and description', async () => {
    expect((await server.data(VERSION, { m: 'sig', v: 1 })).modelVersion).toEqual({
      version: 1,
      format: 'tagfusion-head',
      servable: true,
      unservableReason: null,
      signature: { inputs: [{ kind: 'features', modality: 'text', encoder: 'tfidf' }], labels: [] },
      source: null,
      description: null,
    });
    expect(await fromFolder(servableFolder(), 'onnx head')).toBe(2);
    const v2 = (await server.data(VERSION, { m: 'sig', v: 2 })).modelVersion;
    expect(v2).toMatchObject({ format: 'onnx', servable: true, unservableReason: null, description: 'onnx head' });
    expect(v2.source).toMatch(/^runs:\/[0-9a-f]{32}\/model$/);
    expect(v2.signature.inputs[0]).toMatchObject({ kind: 'features', modality: 'text', encoder: 'glove-100d' });
    expect(await fromFolder({ 'model/model.onnx': 'x' })).toBe(3);
    expect((await server.data(VERSION, { m: 'sig', v: 3 })).modelVersion).toMatchObject({ format: null, servable: false, unservableReason: 'no model-card.json and no MLmodel with an onnx flavour', signature: null });
  });

  it('refuses a move to another signature unless allowSignatureChange is given, and changes nothing', async () => {
    await server.data(MOVE, { input: { model: 'sig', alias: 'champion', version: 1 } });
    const refused = await move('champion', 2);
    expect(refused.errors?.[0].extensions?.code).toBe('SIGNATURE_CHANGED');
    expect(refused.errors?.[0].message).toBe(
      'Moving alias champion of model sig from version 1 to version 2 changes what it eats or returns: version 1 eats text features of tfidf and returns 0 labels; ' +
        'version 2 eats text features of glove-100d and returns 3 labels. Confirm with allowSignatureChange: true (GraphQL), --allow-signature-change (tagfusion promote) or the model tag tagfusion.allow_signature_change=true (MLflow REST).',
    );
    expect((await server.data(VERSION, { m: 'sig', a: 'champion' })).modelVersion.version).toBe(1);
    const moves = (await server.app.services.registry.auditLog('sig', 50)).rows.filter((r) => r.action === 'ALIAS_MOVED');
    expect(moves).toHaveLength(1);
    expect((await server.data(MOVE, { input: { model: 'sig', alias: 'champion', version: 2, allowSignatureChange: true } })).moveAlias).toEqual({ changed: true, previousVersion: 1, alias: { version: 2 } });
    // To a version tagfusion cannot serve: a change of signature too.
    expect((await move('champion', 3)).errors?.[0].message).toMatch(/version 3 cannot be served by tagfusion\. Confirm/);
  });

  it('needs no flag between equal signatures, for a new alias, or from a version without one', async () => {
    expect(await fromFolder(servableFolder('model', { output: { name: 'logits', kind: 'logits', labels: [2, 3, 1] } }))).toBe(4);
    expect((await move('champion', 4)).data?.moveAlias).toMatchObject({ changed: true, previousVersion: 2 });
    expect(await fromFolder(servableFolder('model', { output: { name: 'logits', kind: 'logits', labels: [7, 1, 2] } }))).toBe(5);
    expect((await move('champion', 5)).errors?.[0].message).toMatch(/returns 3 labels \(other label ids\)\. Confirm/);
    expect((await move('challenger', 3)).data?.moveAlias).toMatchObject({ changed: true, previousVersion: null });
    // Versions registered before signatures existed have none: nothing to compare, no flag.
    const model = await server.app.services.registry.getModel('sig');
    await server.app.db.prisma.$executeRawUnsafe(`UPDATE "ModelVersion" SET "signature" = NULL WHERE "modelId" = $1 AND "version" = 1`, model.id);
    expect((await move('legacy', 1)).data?.moveAlias.changed).toBe(true);
    expect((await move('legacy', 4)).data?.moveAlias).toMatchObject({ changed: true, previousVersion: 1 });
  });
});
