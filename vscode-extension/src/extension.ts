/** Entry point: wires the server, status bar, schema view and commands together. */
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { setDatabasePassword } from './credentials';
import { onInterpreterChange } from './pythonExtension';
import { OPEN_DEFINITION, SCHEMA_VIEW, SchemaTree, openDefinition } from './schemaTree';
import { ServerController } from './server';
import { SECTION } from './settings';
import { StatusBar } from './statusBar';
import { TraceChannel } from './traceChannel';
import { viewOfStatus, viewRunning, viewStarting, viewStopped } from './statusText';

let server: ServerController | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('querywright', { log: true });
  const trace = new TraceChannel('querywright (trace)');
  const status = new StatusBar();
  context.subscriptions.push(output, trace, status);

  server = new ServerController(context, output, trace, {
    onStarting: (python) => status.show(viewStarting(python), 'querywright.showLog'),
    onRunning: (python) => status.show(viewRunning(python), 'querywright.showLog'),
    onStatus: (s) => status.show(viewOfStatus(s), 'querywright.selectModel'),
    onStopped: (reason) => status.show(viewStopped(reason), 'querywright.showLog'),
  });
  const controller = server;
  context.subscriptions.push({ dispose: () => void controller.dispose() });

  const tree = new SchemaTree(() => controller.command('querywright.schema'));
  context.subscriptions.push(
    vscode.window.registerTreeDataProvider(SCHEMA_VIEW, tree),
    vscode.commands.registerCommand(OPEN_DEFINITION, openDefinition),
    ...registerCommands(controller, tree),
    vscode.commands.registerCommand('querywright.setDatabasePassword', async () => {
      if (await setDatabasePassword(context.secrets)) await controller.restart();
    }),
    // Trust changes what the server may honour from the workspace file: start it afresh.
    vscode.workspace.onDidGrantWorkspaceTrust(() => void controller.restart()),
  );

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(`${SECTION}.interpreter`)) {
        void controller.restart();
      } else if (event.affectsConfiguration(SECTION) && !event.affectsConfiguration(`${SECTION}.trace`)) {
        void controller.settingsChanged();
      }
    }),
  );
  const interpreterWatch = await onInterpreterChange(() => {
    if (!vscode.workspace.getConfiguration(SECTION).get<string>('interpreter')) void controller.restart();
  }).catch(() => undefined);
  if (interpreterWatch) context.subscriptions.push(interpreterWatch);

  // Not awaited: resolving the interpreter may wait on the user (install offer).
  void controller.start();
}

export async function deactivate(): Promise<void> {
  await server?.stop();
  server = undefined;
}
