/**
 * Starts, stops and restarts the querywright language server, and is the one
 * place that sends it requests.
 */
import { createInterface } from 'node:readline';
import * as vscode from 'vscode';
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  ExecuteCommandRequest,
  LanguageClient,
  ResponseError,
  RevealOutputChannelOn,
  State,
  type DynamicFeature,
  type ExecuteCommandRegistrationOptions,
  type LanguageClientOptions,
  type ServerOptions,
  type StaticFeature,
} from 'vscode-languageclient/node';
import schema from '../../schemas/config.schema.json';
import { credentialEnvironment } from './credentials';
import { candidates, probe, serverArgs, type Candidate, type Probe } from './interpreter';
import { ManagedEnvironment } from './managedEnv';
import { OwnedCommandsFilter, ServerCommandSlot } from './ownedCommands';
import { selectedInterpreter } from './pythonExtension';
import { extrasFor } from './requirements';
import { levelOf, type Level } from './serverLog';
import { nestSettings, SECTION, type SchemaNode } from './settings';
import { isServerStatus, type ServerStatus } from './statusText';

export const STATUS_NOTIFICATION = 'querywright/status';

/** Command ids of package.json: the client must not register these for the server. */
let ownedCommands: ReadonlySet<string> = new Set();
/** The server's commands are registered by one client at a time (see ownedCommands.ts). */
const serverCommands = new ServerCommandSlot();

class QuerywrightClient extends LanguageClient {
  // Called from LanguageClient's constructor, so it reads a module-level set.
  public override registerFeature(feature: StaticFeature | DynamicFeature<unknown>): void {
    const dynamic = feature as DynamicFeature<unknown>;
    if (dynamic.registrationType?.method === ExecuteCommandRequest.type.method) {
      super.registerFeature(
        new OwnedCommandsFilter(dynamic as DynamicFeature<ExecuteCommandRegistrationOptions>, ownedCommands, serverCommands),
      );
      return;
    }
    super.registerFeature(feature);
  }
}

export interface ServerEvents {
  onStarting(python: string): void;
  onStatus(status: ServerStatus): void;
  onStopped(reason: string): void;
  onRunning(python: string): void;
}

/** The settings in the schema's shape, for initializationOptions and workspace/configuration. */
export function serverSettings(scope?: vscode.Uri): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  return nestSettings(schema as SchemaNode, (key) => config.get(key));
}

/**
 * initializationOptions: the settings plus `trusted`, VS Code's workspace trust.
 * Untrusted, the server ignores the workspace file's settings that send data
 * elsewhere; the extension restarts it when trust is granted.
 */
export function initializationOptions(): Record<string, unknown> {
  return { ...serverSettings(), trusted: vscode.workspace.isTrusted };
}

/** The extras the configured model needs in the managed environment. */
function neededExtras(): string[] {
  return extrasFor(vscode.workspace.getConfiguration(SECTION).get<string>('model'));
}

export class ServerController implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private python: string | undefined;
  private queue: Promise<void> = Promise.resolve();
  private statusSeen = false;
  private lastStatusLine = '';
  /** Clients whose start() succeeded: only those are restarted after a crash. */
  private readonly started = new WeakSet<LanguageClient>();
  private readonly managed: ManagedEnvironment;
  private readonly secrets: vscode.SecretStorage;

  constructor(
    context: vscode.ExtensionContext,
    readonly output: vscode.LogOutputChannel,
    private readonly trace: vscode.LogOutputChannel,
    private readonly events: ServerEvents,
  ) {
    this.managed = new ManagedEnvironment(context.globalStorageUri, output);
    this.secrets = context.secrets;
    const contributed = (context.extension.packageJSON as { contributes?: { commands?: { command: string }[] } })
      .contributes?.commands;
    ownedCommands = new Set((contributed ?? []).map((c) => c.command));
  }

  get running(): boolean {
    return this.client?.state === State.Running;
  }

  get interpreter(): string | undefined {
    return this.python;
  }

  /** Start, stop and restart run one after another, never interleaved. */
  private enqueue(work: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(work, work);
    return this.queue;
  }

  start(): Promise<void> {
    return this.enqueue(() => this.doStart());
  }

  stop(): Promise<void> {
    return this.enqueue(() => this.doStop());
  }

  restart(): Promise<void> {
    return this.enqueue(async () => {
      await this.doStop();
      await this.doStart();
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
  }

  /** Tell the server the settings changed; it pulls them with workspace/configuration. */
  async settingsChanged(): Promise<void> {
    if (!this.running || !this.client) return;
    await this.client.sendNotification(DidChangeConfigurationNotification.type, {
      settings: { [SECTION]: serverSettings() },
    });
  }

  /**
   * Run a server command. Failures (including "unknown command") are shown
   * with the server's own message and resolve to undefined.
   */
  async command<T>(
    command: string,
    args: unknown[] = [],
    token?: vscode.CancellationToken,
    extra: Record<string, unknown> = {},
  ): Promise<T | undefined> {
    const client = this.client;
    if (!client || !this.running) {
      const choice = await vscode.window.showWarningMessage(
        'querywright: the language server is not running.',
        'Restart Server',
        'Show Log',
      );
      if (choice === 'Restart Server') void this.restart();
      if (choice === 'Show Log') this.output.show(true);
      return undefined;
    }
    try {
      return (await client.sendRequest(
        ExecuteCommandRequest.type,
        { command, arguments: args, ...extra },
        token,
      )) as T;
    } catch (error) {
      if (token?.isCancellationRequested) return undefined;
      const message = error instanceof ResponseError || error instanceof Error ? error.message : String(error);
      this.output.appendLine(`[client] ${command} failed: ${message}`);
      void vscode.window.showErrorMessage(`querywright: ${message}`);
      return undefined;
    }
  }

  /** The language client, for features that need it directly (progress). */
  get languageClient(): LanguageClient | undefined {
    return this.running ? this.client : undefined;
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client && client.state !== State.Stopped) {
      try {
        await client.stop(5000);
      } catch (error) {
        this.output.appendLine(`[client] stopping the server: ${String(error)}`);
      }
    }
  }

  private async doStart(): Promise<void> {
    const python = await this.resolveInterpreter();
    if (!python) return;
    this.python = python;
    this.events.onStarting(python);
    const client = this.createClient(python, await credentialEnvironment(this.secrets));
    this.client = client;
    try {
      await client.start();
      this.started.add(client);
      if (!this.statusSeen) this.events.onRunning(python);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.client = undefined;
      // Given up on: it must not restart itself, and what it registered goes with it.
      void client.dispose(2000).catch((disposing: unknown) =>
        this.output.appendLine(`[client] disposing the failed client: ${String(disposing)}`),
      );
      this.output.appendLine(`[client] the server did not start: ${reason}`);
      this.events.onStopped(reason);
      void this.explainFailure(
        `querywright: the language server could not start (${python} ${serverArgs().join(' ')}): ${reason}`,
      );
    }
  }

  private async explainFailure(message: string): Promise<void> {
    const choice = await vscode.window.showErrorMessage(message, 'Show Log', 'Select Interpreter', 'Restart Server');
    if (choice === 'Show Log') this.output.show(true);
    if (choice === 'Select Interpreter') {
      await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.interpreter`);
    }
    if (choice === 'Restart Server') void this.restart();
  }

  /** The first candidate interpreter that has the server; offers an install when none has. */
  private async resolveInterpreter(): Promise<string | undefined> {
    const config = vscode.workspace.getConfiguration(SECTION);
    let pythonExtension: string | undefined;
    try {
      pythonExtension = await selectedInterpreter(vscode.workspace.workspaceFolders?.[0]?.uri);
    } catch (error) {
      this.output.appendLine(`[client] reading the Python extension's interpreter: ${String(error)}`);
    }
    const tried: { candidate: Candidate; result: Probe }[] = [];
    for (const candidate of candidates({
      setting: config.get<string>('interpreter') ?? '',
      pythonExtension,
      managed: this.managed.exists() ? this.managed.python : undefined,
    })) {
      const result = await probe(candidate.python);
      this.output.appendLine(`[client] ${candidate.python} (${candidate.source}): ${describeProbe(result)}`);
      if (result.kind === 'ok') {
        if (candidate.source === 'managed') void this.checkManaged(candidate.python);
        return candidate.python;
      }
      tried.push({ candidate, result });
    }

    const explicit = tried.find((t) => t.candidate.source === 'setting');
    if (explicit?.result.kind === 'no-interpreter') {
      const reason = `the interpreter "${explicit.candidate.python}" set in ${SECTION}.interpreter cannot run: ${explicit.result.detail}`;
      this.events.onStopped(reason);
      void this.explainFailure(`querywright: ${reason}`);
      return undefined;
    }
    const base = tried.find((t) => t.result.kind === 'missing-package')?.candidate.python;
    if (!base) {
      const reason = 'no Python interpreter was found (tried ' + tried.map((t) => t.candidate.python).join(', ') + ')';
      this.events.onStopped(reason);
      void this.explainFailure(`querywright: ${reason}. Install Python 3.10+ or set ${SECTION}.interpreter.`);
      return undefined;
    }
    return this.offerInstall(base);
  }

  /**
   * Offer the managed environment. Not awaited by start(): an unanswered
   * notification must not hold up later restarts; "Install" starts the server
   * itself once the package is in place.
   */
  private offerInstall(base: string): undefined {
    const reason = `the language server (Python package querywright) is not installed for ${base}`;
    this.events.onStopped(reason);
    void vscode.window
      .showWarningMessage(
        `querywright: ${reason}. Install it into an environment managed by the extension?`,
        'Install',
        'Select Interpreter',
      )
      .then(async (choice) => {
        if (choice === 'Select Interpreter') {
          await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.interpreter`);
        } else if (choice === 'Install') {
          await this.installManaged(base);
        }
      });
    return undefined;
  }

  /**
   * Health check of the managed environment: the extras the configured model
   * needs must import there (an environment made before the model changed may
   * lack them). Offers to install them; the server runs meanwhile.
   */
  private async checkManaged(python: string): Promise<void> {
    const missing = await this.managed.missing(neededExtras());
    if (!missing) return;
    this.output.appendLine(`[client] the managed environment lacks ${missing}`);
    const choice = await vscode.window.showWarningMessage(
      `querywright: the managed environment lacks ${missing.split(' ')[0]}, which the configured model needs ` +
        "(querywright[local]). Install it?",
      'Install',
    );
    if (choice === 'Install') await this.installManaged(python);
  }

  private async installManaged(base: string): Promise<void> {
    try {
      const python = await this.managed.install(base, neededExtras());
      const result = await probe(python);
      if (result.kind !== 'ok') throw new Error(describeProbe(result));
    } catch (error) {
      if (error instanceof vscode.CancellationError) return;
      const message = error instanceof Error ? error.message : String(error);
      this.events.onStopped(message);
      void this.explainFailure(`querywright: installing the server failed: ${message}`);
      return;
    }
    await this.restart();
  }

  private createClient(python: string, credentials: Record<string, string>): LanguageClient {
    const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const serverOptions: ServerOptions = {
      command: python,
      args: serverArgs(),
      options: { cwd, env: { ...process.env, PYTHONUNBUFFERED: '1', ...credentials } },
    };
    let crashes = 0;
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ language: 'sql' }],
      outputChannel: this.output,
      traceOutputChannel: this.trace,
      stdioOptions: {
        stdout: (input, channel) => forwardLines(input, (line) => channel.info(line)),
        stderr: (input, channel) => {
          let level: Level | undefined;
          forwardLines(input, (line) => {
            level = levelOf(line, level);
            channel[level](line);
          });
        },
      },
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: initializationOptions(),
      errorHandler: {
        error: () => ({ action: ErrorAction.Continue, handled: true }),
        closed: () => {
          // A client that never started (doStart reports that failure and offers a
          // restart) or that this controller no longer holds is not restarted.
          if (this.client !== client || !this.started.has(client)) {
            return { action: CloseAction.DoNotRestart, handled: true };
          }
          crashes += 1;
          if (crashes <= 3) {
            this.output.appendLine(`[client] the server exited; restarting (${crashes}/3)`);
            return { action: CloseAction.Restart, handled: true };
          }
          const reason = 'the server exited 4 times; it is not restarted';
          this.events.onStopped(reason);
          void this.explainFailure(`querywright: ${reason}. See the log.`);
          return { action: CloseAction.DoNotRestart, handled: true };
        },
      },
      middleware: {
        workspace: {
          configuration: (params, token, next) => {
            const own = params.items.map((item) =>
              item.section === SECTION
                ? serverSettings(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined)
                : undefined,
            );
            if (own.every((value) => value !== undefined)) return own;
            return Promise.resolve(next(params, token)).then((answer) =>
              Array.isArray(answer) ? answer.map((value, i) => own[i] ?? value) : answer,
            );
          },
        },
      },
    };
    const client = new QuerywrightClient(SECTION, 'querywright', serverOptions, clientOptions);
    this.statusSeen = false;
    client.onNotification(STATUS_NOTIFICATION, (params: unknown) => {
      this.statusSeen = true;
      if (isServerStatus(params)) {
        const line = `status: model ${params.model}, backend ${params.backend}, ${params.tables} tables${params.message ? `: ${params.message}` : ''}`;
        if (line !== this.lastStatusLine) this.output.info(`[client] ${line}`);
        this.lastStatusLine = line;
        this.events.onStatus(params);
      }
      else this.output.appendLine(`[client] ignored a malformed ${STATUS_NOTIFICATION}: ${JSON.stringify(params)}`);
    });
    return client;
  }
}

function forwardLines(input: NodeJS.ReadableStream, write: (line: string) => void): void {
  createInterface({ input, crlfDelay: Infinity, terminal: false }).on('line', write);
}

function describeProbe(result: Probe): string {
  switch (result.kind) {
    case 'ok':
      return `querywright ${result.version}`;
    case 'missing-package':
      return `no querywright package (${result.detail.split('\n').pop()})`;
    case 'no-interpreter':
      return `cannot run (${result.detail.split('\n').pop()})`;
  }
}
