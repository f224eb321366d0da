/** The extension's commands; each wraps a server command with editor UI. */
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { WorkDoneProgress, WorkDoneProgressCancelNotification } from 'vscode-languageclient/node';
import { questionCommentLine } from './commentLine';
import type { SchemaTree } from './schemaTree';
import { SCHEMA_VIEW } from './schemaTree';
import type { ServerController } from './server';

interface ModelEntry {
  ref: string;
  label?: string;
  description?: string;
}

interface GenerateResult {
  sql: string | null;
  message: string;
}

interface FineTuneResult {
  ok: boolean;
  message: string;
  model: string | null;
}

export function registerCommands(server: ServerController, tree: SchemaTree): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('querywright.generateFromComment', (target?: unknown) =>
      generateFromComment(server, target),
    ),
    vscode.commands.registerCommand('querywright.selectModel', () => selectModel(server)),
    vscode.commands.registerCommand('querywright.reloadSchema', () => reloadSchema(server, tree)),
    vscode.commands.registerCommand('querywright.showSchema', () => showSchema(tree)),
    vscode.commands.registerCommand('querywright.restartServer', () => server.restart()),
    vscode.commands.registerCommand('querywright.fineTune', (options?: unknown) => fineTune(server, options)),
    vscode.commands.registerCommand('querywright.showLog', () => server.output.show(true)),
  ];
}

/** `{uri, line}` as sent by the server's own "Generate SQL from comment" code action. */
function commentTarget(value: unknown): { uri: string; line: number } | undefined {
  const v = value as { uri?: unknown; line?: unknown } | undefined;
  return typeof v?.uri === 'string' && typeof v.line === 'number' ? { uri: v.uri, line: v.line } : undefined;
}

async function generateFromComment(server: ServerController, target?: unknown): Promise<void> {
  let request = commentTarget(target);
  if (!request) {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.document.languageId !== 'sql') {
      void vscode.window.showInformationMessage('querywright: open a SQL file and put the cursor on a "-- question" comment.');
      return;
    }
    const lines = Array.from({ length: editor.document.lineCount }, (_, i) => editor.document.lineAt(i).text);
    const line = questionCommentLine(lines, editor.selection.active.line);
    if (line === undefined) {
      void vscode.window.showInformationMessage(
        'querywright: put the cursor on a "-- question" comment (or on the blank line below it).',
      );
      return;
    }
    request = { uri: editor.document.uri.toString(), line };
  }
  const args = [request];
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'querywright: generating SQL' },
    () => server.command<GenerateResult>('querywright.generateFromComment', args),
  );
  if (!result) return;
  if (result.sql === null) {
    void vscode.window.showInformationMessage(`querywright: ${result.message}`);
  } else if (result.message) {
    vscode.window.setStatusBarMessage(`querywright: ${result.message}`, 5000);
  }
}

async function selectModel(server: ServerController): Promise<void> {
  const models = await server.command<ModelEntry[]>('querywright.listModels');
  if (!models) return;
  if (models.length === 0) {
    void vscode.window.showInformationMessage('querywright: the server found no models.');
    return;
  }
  const picked = await vscode.window.showQuickPick(
    models.map((m) => ({
      label: m.label || m.ref,
      description: m.label && m.label !== m.ref ? m.ref : undefined,
      detail: m.description,
      ref: m.ref,
    })),
    { title: 'querywright: select the model for AI suggestions', matchOnDescription: true, matchOnDetail: true },
  );
  if (!picked) return;
  const result = await server.command<{ model: string }>('querywright.setModel', [{ ref: picked.ref }]);
  if (result) vscode.window.setStatusBarMessage(`querywright: model ${result.model}`, 4000);
}

async function reloadSchema(server: ServerController, tree: SchemaTree): Promise<void> {
  const result = await server.command<{ tables: number }>('querywright.reloadSchema');
  if (!result) return;
  vscode.window.setStatusBarMessage(`querywright: schema reloaded, ${result.tables} tables`, 4000);
  await refreshTree(tree);
}

async function showSchema(tree: SchemaTree): Promise<void> {
  await vscode.commands.executeCommand(`${SCHEMA_VIEW}.focus`);
  await refreshTree(tree);
}

async function refreshTree(tree: SchemaTree): Promise<void> {
  try {
    await tree.refresh();
  } catch (error) {
    void vscode.window.showErrorMessage(`querywright: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function fineTune(server: ServerController, options?: unknown): Promise<void> {
  const client = server.languageClient;
  const args = [typeof options === 'object' && options !== null ? options : {}];
  if (!client) {
    await server.command('querywright.fineTune', args);
    return;
  }
  const token = `querywright-fine-tune-${randomUUID()}`;
  const result = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: "querywright: fine-tuning on this repo's queries",
      cancellable: true,
    },
    async (progress, cancel) => {
      let reported = 0;
      const listener = client.onProgress(WorkDoneProgress.type, token, (value) => {
        if (value.kind === 'end') {
          if (value.message) progress.report({ message: value.message });
          return;
        }
        const increment =
          typeof value.percentage === 'number' ? Math.max(0, Math.min(value.percentage, 100) - reported) : undefined;
        if (increment !== undefined) reported += increment;
        progress.report({ message: value.message, increment });
      });
      const onCancel = cancel.onCancellationRequested(() => {
        void client.sendNotification(WorkDoneProgressCancelNotification.type, { token });
      });
      try {
        return await server.command<FineTuneResult>('querywright.fineTune', args, undefined, { workDoneToken: token });
      } finally {
        listener.dispose();
        onCancel.dispose();
      }
    },
  );
  if (!result) return;
  if (result.ok) {
    void vscode.window.showInformationMessage(
      `querywright: ${result.message}${result.model ? ` (model ${result.model})` : ''}`,
    );
  } else {
    void vscode.window.showWarningMessage(`querywright: ${result.message}`);
  }
}
