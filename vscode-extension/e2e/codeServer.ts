/**
 * A real code-server for the end-to-end test: the .vsix installed into a fresh
 * profile, started on 127.0.0.1 in its own process group.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CodeServerOptions {
  binary: string;
  vsix: string;
  /** Fresh directory for the profile, extensions and logs. */
  home: string;
  workspace: string;
  /** Extra User/settings.json entries. */
  settings: Record<string, unknown>;
  log: string;
  /** Extra environment for code-server and its extension host. */
  env?: Record<string, string>;
  /**
   * Keep VS Code's workspace trust on (default off): the folder then opens in
   * Restricted Mode unless trusted. The settings must also turn it on.
   */
  workspaceTrust?: boolean;
}

/** Settings that keep a fresh profile quiet: no welcome page, trust prompt, chat panel. */
export const QUIET_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.enableExperiments': false,
  'files.hotExit': 'off',
  'security.workspace.trust.enabled': false,
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  'extensions.ignoreRecommendations': true,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'git.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
};

/**
 * Settings for a profile that opens folders in Restricted Mode: workspace trust on,
 * no trust prompt at start-up (an untrusted folder then opens restricted).
 */
export const RESTRICTED_SETTINGS: Record<string, unknown> = {
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.emptyWindow': false,
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export class CodeServer {
  private child: ChildProcess | undefined;
  port = 0;
  readonly userDataDir: string;
  readonly extensionsDir: string;

  constructor(private readonly options: CodeServerOptions) {
    this.userDataDir = join(options.home, 'user-data');
    this.extensionsDir = join(options.home, 'extensions');
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(this.options.workspace)}`;
  }

  private commonArgs(): string[] {
    return ['--user-data-dir', this.userDataDir, '--extensions-dir', this.extensionsDir];
  }

  /** Write the profile's settings and install the .vsix with code-server's own CLI. */
  async install(): Promise<string> {
    mkdirSync(join(this.userDataDir, 'User'), { recursive: true });
    mkdirSync(this.extensionsDir, { recursive: true });
    writeFileSync(
      join(this.userDataDir, 'User', 'settings.json'),
      JSON.stringify({ ...QUIET_SETTINGS, ...this.options.settings }, null, 2),
    );
    const { stdout, stderr } = await run(
      this.options.binary,
      [...this.commonArgs(), '--install-extension', this.options.vsix],
      { timeout: 120_000 },
    );
    const text = `${stdout}${stderr}`;
    if (!/successfully installed/i.test(text)) throw new Error(`installing the .vsix failed:\n${text}`);
    return text.trim();
  }

  /** Start code-server and resolve once it listens (read from its own log line). */
  async start(timeoutMs = 120_000): Promise<void> {
    this.port = await freePort();
    const log = createWriteStream(this.options.log);
    const child = spawn(
      this.options.binary,
      [
        ...this.commonArgs(),
        '--auth', 'none',
        '--bind-addr', `127.0.0.1:${this.port}`,
        '--disable-telemetry',
        '--disable-update-check',
        ...(this.options.workspaceTrust ? [] : ['--disable-workspace-trust']),
        '--disable-getting-started-override',
        this.options.workspace,
      ],
      // detached: its own process group (setsid), so stop() ends the language server too.
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VSCODE_PROXY_URI: '', ...this.options.env } },
    );
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new Error(`code-server did not listen within ${timeoutMs} ms:\n${seen}`)), timeoutMs);
      const onData = (chunk: Buffer): void => {
        log.write(chunk);
        seen += chunk.toString();
        if (/HTTP server listening on/.test(seen)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`code-server exited with ${code}:\n${seen}`));
      });
    });
  }

  /** Stop code-server's whole process group; SIGKILL what is left after 10 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child?.pid || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(-child.pid, 'SIGTERM');
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // the group is already gone
      }
    }, 10_000);
    await exited;
    clearTimeout(timer);
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // every process of the group has exited
    }
  }
}
