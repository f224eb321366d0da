/**
 * The managed environment: a venv under the extension's global storage into
 * which the server package is installed when no interpreter has it.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { importError, venvPython } from './interpreter';
import { modulesFor, withExtras } from './requirements';

/**
 * What `pip install` gets: `querywright`, or the requirement in the environment
 * variable QUERYWRIGHT_SERVER_PACKAGE (a pinned version, an extra, a wheel file),
 * plus the extras the configured model needs (`[local]`: see requirements.ts).
 */
export const SERVER_PACKAGE = process.env.QUERYWRIGHT_SERVER_PACKAGE || 'querywright';

export class ManagedEnvironment {
  readonly dir: string;

  constructor(storage: vscode.Uri, private readonly log: vscode.OutputChannel) {
    this.dir = path.join(storage.fsPath, 'venv');
  }

  get python(): string {
    return venvPython(this.dir);
  }

  exists(): boolean {
    return fs.existsSync(this.python);
  }

  /**
   * Health check: the first module of `extras` that does not import in the
   * venv, with the reason; undefined when all do.
   */
  async missing(extras: readonly string[]): Promise<string | undefined> {
    for (const module of modulesFor(extras)) {
      const error = await importError(this.python, module);
      if (error !== undefined) return `${module} (${error})`;
    }
    return undefined;
  }

  /**
   * Create the venv with `basePython` (when needed) and `pip install` the
   * server package with `extras`, showing progress; then check that the extras
   * import. Resolves to the venv's interpreter.
   */
  async install(basePython: string, extras: readonly string[] = []): Promise<string> {
    const requirement = withExtras(SERVER_PACKAGE, extras);
    return vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: 'querywright: installing the language server',
        cancellable: true,
      },
      async (progress, token) => {
        fs.mkdirSync(path.dirname(this.dir), { recursive: true });
        if (!this.exists()) {
          progress.report({ message: `creating ${this.dir}` });
          try {
            await this.run(basePython, ['-m', 'venv', this.dir], token);
          } catch (error) {
            if (error instanceof vscode.CancellationError) throw error;
            const reason = error instanceof Error ? error.message : String(error);
            throw new Error(`${reason} (on Debian/Ubuntu the venv module comes with: apt install python3-venv)`);
          }
        }
        progress.report({ message: `pip install ${requirement}` });
        await this.run(this.python, ['-m', 'pip', 'install', '--upgrade', requirement], token);
        const missing = await this.missing(extras);
        if (missing) throw new Error(`installed ${requirement}, but ${missing} does not import`);
        return this.python;
      },
    );
  }

  private run(command: string, args: string[], token: vscode.CancellationToken): Promise<void> {
    this.log.appendLine(`> ${command} ${args.join(' ')}`);
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const cancel = token.onCancellationRequested(() => child.kill());
      child.stdout.on('data', (chunk: Buffer) => this.log.append(chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => this.log.append(chunk.toString()));
      child.on('error', (err) => {
        cancel.dispose();
        reject(err);
      });
      child.on('close', (code, signal) => {
        cancel.dispose();
        if (token.isCancellationRequested) reject(new vscode.CancellationError());
        else if (code === 0) resolve();
        else reject(new Error(`${path.basename(command)} ${args.slice(0, 3).join(' ')} exited with ${code ?? signal}`));
      });
    });
  }
}
