/**
 * End-to-end test of the extension in a real editor: the built .vsix installed
 * into code-server (VS Code 1.139) with a fresh profile, the example workspace
 * examples/shop, the real querywright language server, driven from headless
 * Chromium. Everything is checked through the page.
 *
 * Env: QW_CODE_SERVER (code-server binary), QW_VSIX, QW_PYTHON (interpreter with
 * querywright installed), QW_CHROMIUM (default /usr/bin/chromium),
 * QW_ARTIFACTS (default <repo>/artifacts/vscode-e2e), QW_E2E_DOCS_IMAGE=1 to copy the
 * inline-suggestion screenshot to docs/img/extension.png, QW_E2E_ONLY=label,... to run
 * only those editor sessions (main, restricted, bad-interpreter, managed-install).
 * Prints `N passed, M failed` last; exits 1 when anything failed.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CodeServer, RESTRICTED_SETTINGS } from './codeServer';
import { RecordingServer, redirectWorkspace, restrictedScenario } from './restricted';
import { columnNames, type Catalog } from './sqlNames';
import {
  ERROR_WATCH_SCRIPT,
  clearEditor,
  focusEditor,
  editorText,
  errorNotifications,
  openFile,
  runCommand,
  suggestLabels,
  waitForEditorText,
  waitForGhostText,
  waitForWorkbench,
} from './workbench';

const run = promisify(execFile);

const EXTENSION_ROOT = join(__dirname, '..', '..');
const REPO = join(EXTENSION_ROOT, '..');
const WORKSPACE_SOURCE = join(REPO, 'examples', 'shop');
/** Columns of `users` in examples/shop after its migrations (V1, V9). */
const USERS_COLUMNS = ['id', 'email', 'name', 'created_at', 'country', 'is_active'];
/** Columns of `orders` only: they must not be offered after `u.`. */
const ORDERS_ONLY_COLUMNS = ['user_id', 'status'];
const SCRATCH = 'e2e_scratch.sql';

function env(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback;
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

interface Outcome {
  name: string;
  ok: boolean;
  detail: string;
  seconds: number;
}

class Runner {
  readonly outcomes: Outcome[] = [];
  private shot = 0;

  /** The page screenshots are taken of: each editor session sets its own. */
  page: Page | undefined;

  constructor(private readonly artifacts: string) {}

  async screenshot(label: string): Promise<string> {
    this.shot += 1;
    const file = join(this.artifacts, `${String(this.shot).padStart(2, '0')}-${label}.png`);
    await this.page?.screenshot({ path: file });
    return file;
  }

  async check(name: string, body: () => Promise<string>): Promise<boolean> {
    const started = Date.now();
    let outcome: Outcome;
    try {
      const detail = await body();
      outcome = { name, ok: true, detail, seconds: (Date.now() - started) / 1000 };
    } catch (error) {
      const detail = error instanceof Error ? error.message.split('\n').slice(0, 6).join('\n') : String(error);
      outcome = { name, ok: false, detail, seconds: (Date.now() - started) / 1000 };
    }
    await this.screenshot(name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')).catch(() => undefined);
    this.outcomes.push(outcome);
    console.log(`${outcome.ok ? 'PASS' : 'FAIL'} ${name} (${outcome.seconds.toFixed(1)} s): ${outcome.detail}`);
    return outcome.ok;
  }
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** The workspace's catalog from the CLI contract `querywright schema --json`. */
async function loadCatalog(python: string, workspace: string): Promise<Catalog> {
  const { stdout } = await run(python, ['-m', 'querywright.cli.main', 'schema', '--workspace', workspace, '--json'], {
    timeout: 120_000,
  });
  const answer = JSON.parse(stdout) as { tables: { name: string; columns: { name: string }[] }[] };
  return {
    tables: new Map(answer.tables.map((t) => [t.name.toLowerCase(), new Set(t.columns.map((c) => c.name.toLowerCase()))])),
  };
}

function copyLogs(from: string, to: string): void {
  if (!existsSync(from)) return;
  for (const entry of readdirSync(from, { recursive: true }) as string[]) {
    const source = join(from, entry);
    if (entry.endsWith('.log') && statSync(source).isFile()) {
      const target = join(to, relative(from, source).replace(/[\\/]/g, '__'));
      copyFileSync(source, target);
    }
  }
}

async function scenarios(runner: Runner, page: Page, catalog: Catalog): Promise<void> {
  const modifier = 'Control';

  await runner.check('workbench opens the example workspace', async () => {
    await waitForWorkbench(page);
    await openFile(page, SCRATCH);
    return `${SCRATCH} open`;
  });

  await runner.check('(4) status bar shows the model', async () => {
    const item = page.locator('.statusbar-item', { hasText: /smollm2/i });
    await item.first().waitFor({ timeout: 120_000 });
    // The server counts the tables once the catalog is loaded.
    await page.locator('.statusbar-item', { hasText: /\d+ tables?/ }).first().waitFor({ timeout: 60_000 });
    const text = ((await item.first().textContent()) ?? '').trim();
    assert(/builtin:smollm2-135m/.test(text), `status bar item reads "${text}"`);
    return `status bar: "${text}"`;
  });

  await runner.check('(1) completion after "SELECT u." lists the columns of users', async () => {
    await clearEditor(page);
    await page.keyboard.type('SELECT  FROM users u;');
    await page.keyboard.press('Home');
    for (let i = 0; i < 'SELECT '.length; i++) await page.keyboard.press('ArrowRight');
    await page.keyboard.type('u.');
    await page.keyboard.press(`${modifier}+Space`);
    await page.locator('.suggest-widget.visible .monaco-list-row').first().waitFor({ timeout: 30_000 });
    await page.waitForFunction(
      (expected) => {
        const labels = Array.from(document.querySelectorAll('.suggest-widget.visible .monaco-list-row .label-name')).map(
          (e) => (e.textContent ?? '').trim(),
        );
        return expected.every((c) => labels.includes(c));
      },
      USERS_COLUMNS,
      { timeout: 30_000 },
    );
    const labels = await suggestLabels(page);
    const foreign = labels.filter((l) => ORDERS_ONLY_COLUMNS.includes(l));
    assert(foreign.length === 0, `columns of orders offered after u.: ${foreign.join(', ')}`);
    await page.keyboard.press('Escape');
    return `suggestions: ${labels.join(', ')}`;
  });

  await runner.check('(2) unknown column: diagnostic, and its quick fix repairs the text', async () => {
    await clearEditor(page);
    const squiggle = page.locator('.editor-instance .monaco-editor .squiggly-error, .editor-instance .monaco-editor .squiggly-warning');
    // One edit, so the server checks the whole statement at once.
    await page.keyboard.insertText('SELECT u.emial FROM users u;');
    await squiggle.first().waitFor({ timeout: 30_000 });
    // The Problems panel follows the server's diagnostics: wait for the one about "emial"
    // (markers of the previous text may linger until the server publishes anew).
    await page.keyboard.press(`${modifier}+Shift+M`);
    // Rows: the file (level 1), its problems (level 2), their related information (level 3).
    const problems = page.locator('.markers-panel .monaco-list-row[aria-level="2"]');
    const problem = problems.filter({ hasText: 'emial' });
    await problem.first().waitFor({ timeout: 30_000 });
    const rows = await problems.allTextContents();
    const message = ((await problem.first().textContent()) ?? '').trim();
    assert(rows.length === 1, `expected one problem, the panel lists: ${rows.join(' | ')}`);
    assert(!/alias|syntax/i.test(message), `the problem is not about the column "emial": ${message}`);
    await page.keyboard.press(`${modifier}+J`); // hide the panel again
    await page.locator('.markers-panel').waitFor({ state: 'hidden' });
    await focusEditor(page);
    // Cursor inside the unknown name, then the code action menu (Ctrl+.).
    await page.keyboard.press('Home');
    for (let i = 0; i < 'SELECT u.em'.length; i++) await page.keyboard.press('ArrowRight');
    await page.keyboard.press(`${modifier}+.`);
    const fix = page.locator('.action-widget .monaco-list-row.action', { hasText: /email/ });
    await fix.first().waitFor({ timeout: 15_000 });
    const fixTitle = ((await fix.first().textContent()) ?? '').trim();
    await fix.first().click();
    const text = await waitForEditorText(page, "text.includes('u.email') && !text.includes('emial')", 15_000);
    await squiggle.first().waitFor({ state: 'detached', timeout: 30_000 });
    return `problem "${message}"; quick fix "${fixTitle}"; text now "${text.trim()}"`;
  });

  await runner.check('(3) inline suggestion after a question comment, accepted with Tab, names real columns', async () => {
    await clearEditor(page);
    await page.keyboard.type('-- emails of users created in the last 30 days');
    await page.keyboard.press('Enter');
    const shown = (await waitForGhostText(page, 90_000)).trim();
    assert(shown.length > 0, 'the ghost text is empty');
    await runner.screenshot('inline-suggestion');
    await page.keyboard.press('Tab');
    const text = await waitForEditorText(page, "text.split('\\n').length > 1 && text.split('\\n').slice(1).join(' ').trim().length > 0", 15_000);
    const sql = text.split('\n').slice(1).join('\n').trim();
    assert(/^\s*(select|with)\b/i.test(sql), `the accepted text is not a query: ${sql}`);
    const firstShownLine = shown.split('\n')[0].trim();
    assert(sql.replace(/\s+/g, ' ').includes(firstShownLine.replace(/\s+/g, ' ')), `accepted "${sql}" differs from the ghost text "${shown}"`);
    const names = columnNames(sql, catalog);
    assert(names.unknown.length === 0, `the suggestion names unknown columns: ${names.unknown.join(', ')} in ${sql}`);
    assert(names.known.length > 0, `the suggestion names no column: ${sql}`);
    return `accepted: ${sql.replace(/\s+/g, ' ')} (columns: ${[...new Set(names.known)].join(', ')})`;
  });

  await runner.check('"Generate SQL from comment" inserts a query that names real columns', async () => {
    await clearEditor(page);
    await page.keyboard.type('-- names and emails of all users');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Escape'); // no ghost text in the way
    await runCommand(page, 'querywright: Generate SQL from comment');
    const text = await waitForEditorText(page, "/^\\s*(select|with)\\b/im.test(text.split('\\n').slice(1).join('\\n'))", 120_000);
    const sql = text.split('\n').slice(1).join('\n').trim();
    const names = columnNames(sql, catalog);
    assert(names.unknown.length === 0, `the generated SQL names unknown columns: ${names.unknown.join(', ')} in ${sql}`);
    assert(names.known.length > 0 || /select\s+\*/i.test(sql), `the generated SQL names no column: ${sql}`);
    return `generated: ${sql.replace(/\s+/g, ' ')}`;
  });

  await runner.check('"Select model" lists the server\'s models and sets one', async () => {
    await runCommand(page, 'querywright: Select model');
    const item = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'builtin:smollm2-135m' });
    await item.first().waitFor({ timeout: 30_000 });
    const rows = await page.locator('.quick-input-widget .monaco-list-row').allTextContents();
    await item.first().click();
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
    // The extension confirms the server's setModel answer in the status bar.
    await page.locator('.statusbar-item', { hasText: 'querywright: model builtin:smollm2-135m' }).first().waitFor();
    return `${rows.length} models offered: ${rows.map((r) => r.trim()).join(' | ')}`;
  });

  await runner.check('"Show schema" lists users with its columns; clicking opens the migration', async () => {
    await runCommand(page, 'querywright: Show schema');
    const pane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /SQL Schema/i }) });
    const row = pane.locator('.monaco-list-row', { hasText: /^users/ });
    await row.first().waitFor({ timeout: 30_000 });
    await row.first().click();
    await page.locator('.tabs-container .tab.active', { hasText: 'V1__create_users.sql' }).waitFor({ timeout: 15_000 });
    await row.first().locator('.monaco-tl-twistie').click();
    const columns = pane.locator('.monaco-list-row[aria-level="2"] .label-name');
    await columns.first().waitFor({ timeout: 15_000 });
    const listed = await columns.evaluateAll((els) => els.map((e) => (e.textContent ?? '').trim()));
    assert(USERS_COLUMNS.every((c) => listed.includes(c)), `the users entry lists ${listed.join(', ')}`);
    const text = await editorText(page);
    assert(/CREATE TABLE users/i.test(text), 'the opened file does not show CREATE TABLE users');
    return `tree: users (${listed.join(', ')}); click opened V1__create_users.sql`;
  });

  await runner.check('"Fine-tune" shows the server\'s $/progress in a notification, and Cancel stops the run', async () => {
    await runCommand(page, "querywright: Fine-tune on this repo's queries");
    const title = "fine-tuning on this repo's queries";
    const toast = page.locator('.notification-toast', { hasText: title });
    await toast.first().waitFor({ timeout: 30_000 });
    // A report from the server shows as "title: message".
    const reported = await page.waitForFunction(
      (t) => {
        const item = Array.from(document.querySelectorAll('.notification-toast .notification-list-item-message')).find((e) =>
          (e.textContent ?? '').includes(t),
        );
        const text = (item?.textContent ?? '').replace(/\u00a0/g, ' ');
        return /: \S/.test(text.slice(text.indexOf(t) + t.length)) ? text : false;
      },
      title,
      { timeout: 120_000 },
    );
    const progressText = (await reported.jsonValue()) as string;
    await toast.first().locator('.monaco-button', { hasText: 'Cancel' }).click();
    const outcome = page.locator('.notification-toast', { hasText: /cancel/i }).filter({ hasNotText: title });
    await outcome.first().waitFor({ timeout: 60_000 });
    const outcomeText = ((await outcome.first().locator('.notification-list-item-message').textContent()) ?? '').trim();
    await toast.first().waitFor({ state: 'detached', timeout: 30_000 });
    return `progress "${progressText}"; after Cancel: "${outcomeText}"`;
  });

  await runner.check('"Reload schema" and "Restart server" bring the server back with its tables', async () => {
    await runCommand(page, 'querywright: Reload schema');
    const reloaded = page.locator('.statusbar-item', { hasText: /schema reloaded, \d+ tables/ });
    await reloaded.first().waitFor();
    const reloadText = ((await reloaded.first().textContent()) ?? '').trim();
    await runCommand(page, 'querywright: Restart server');
    // The item shows "starting" (spinner, no model), then the new server's status.
    await page.locator('.statusbar-item', { hasText: /^\s*querywright\s*$/ }).first().waitFor({ timeout: 30_000 });
    const status = page.locator('.statusbar-item', { hasText: /smollm2.*\d+ tables?/i });
    await status.first().waitFor({ timeout: 60_000 });
    return `"${reloadText}"; after restart: "${((await status.first().textContent()) ?? '').trim()}"`;
  });

  await runner.check('(5) no error notification appeared', async () => {
    const errors = await errorNotifications(page);
    assert(errors.length === 0, `error notifications: ${errors.join(' | ')}`);
    return 'none';
  });

}

interface Session {
  binary: string;
  vsix: string;
  chromiumPath: string;
  artifacts: string;
  /** Name of this editor session: its logs go to artifacts/<label>-*. */
  label: string;
  settings: Record<string, unknown>;
  env?: Record<string, string>;
  /** Workspace trust on (Restricted Mode for the untrusted copy); default off. */
  workspaceTrust?: boolean;
  /** Edits the workspace copy before the editor opens it. */
  prepare?: (workspace: string) => void;
}

/**
 * One editor session: a fresh profile and workspace copy, code-server with the
 * .vsix, and a Chromium page on it. `body` gets the page and the workspace.
 */
async function withEditor(session: Session, runner: Runner, body: (page: Page, workspace: string) => Promise<void>): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'qw-e2e-'));
  const workspace = join(home, 'shop');
  cpSync(WORKSPACE_SOURCE, workspace, { recursive: true });
  writeFileSync(join(workspace, 'queries', SCRATCH), '');
  session.prepare?.(workspace);
  const server = new CodeServer({
    binary: session.binary,
    vsix: session.vsix,
    home,
    workspace,
    log: join(session.artifacts, `${session.label}-code-server.log`),
    settings: session.settings,
    env: session.env,
    workspaceTrust: session.workspaceTrust,
  });
  let browser: Browser | undefined;
  try {
    console.log(await server.install());
    await server.start();
    console.log(`[${session.label}] code-server listening on 127.0.0.1:${server.port}`);
    browser = await chromium.launch({
      executablePath: session.chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    await page.addInitScript(ERROR_WATCH_SCRIPT);
    await page.goto(server.url);
    runner.page = page;
    await body(page, workspace);
  } finally {
    await browser?.close().catch(() => undefined);
    await server.stop();
    const logs = join(session.artifacts, `${session.label}-logs`);
    mkdirSync(logs, { recursive: true });
    copyLogs(join(home, 'user-data', 'logs'), logs);
    rmSync(home, { recursive: true, force: true });
  }
}

/** A server that cannot start is explained in an error notification that names the cause. */
async function startFailureScenario(runner: Runner, page: Page, interpreter: string): Promise<void> {
  await runner.check('a server that cannot start is explained (bad interpreter setting)', async () => {
    await waitForWorkbench(page);
    await openFile(page, SCRATCH);
    const toast = page.locator('.notification-toast', { hasText: 'querywright.interpreter' });
    await toast.first().waitFor({ timeout: 60_000 });
    const message = ((await toast.first().locator('.notification-list-item-message').textContent()) ?? '').trim();
    assert(message.includes(interpreter), `the message does not name the interpreter: ${message}`);
    assert((await toast.first().locator('.codicon-error').count()) > 0, 'the notification is not an error');
    const buttons = await toast.first().locator('.monaco-button').allTextContents();
    assert(['Show Log', 'Select Interpreter'].every((b) => buttons.includes(b)), `buttons: ${buttons.join(', ')}`);
    const status = page.locator('.statusbar-item', { hasText: 'querywright' });
    await status.first().waitFor();
    return `"${message}" [${buttons.join(' | ')}]`;
  });
}

/**
 * No interpreter has the server: the extension offers the managed environment;
 * "Install" creates the venv, pip-installs the package, and starts the server.
 */
async function managedInstallScenario(runner: Runner, page: Page, catalog: Catalog): Promise<void> {
  await runner.check('no interpreter has the server: "Install" creates the managed environment and starts it', async () => {
    await waitForWorkbench(page);
    await openFile(page, SCRATCH);
    const offer = page.locator('.notification-toast', { hasText: 'is not installed' });
    await offer.first().waitFor({ timeout: 60_000 });
    const message = ((await offer.first().locator('.notification-list-item-message').textContent()) ?? '').trim();
    await offer.first().locator('.monaco-button', { hasText: /^Install$/ }).click();
    await page.locator('.notification-toast', { hasText: 'installing the language server' }).first().waitFor();
    const status = page.locator('.statusbar-item', { hasText: /smollm2.*\d+ tables?/i });
    await status.first().waitFor({ timeout: 300_000 });
    const errors = await errorNotifications(page);
    assert(errors.length === 0, `error notifications: ${errors.join(' | ')}`);
    return `offer "${message}" → installed; status bar "${((await status.first().textContent()) ?? '').trim()}"`;
  });

  await runner.check('the builtin model answers in the managed environment: a question comment gets a query as ghost text', async () => {
    await clearEditor(page);
    await page.keyboard.type('-- emails of users created in the last 30 days');
    await page.keyboard.press('Enter');
    const shown = (await waitForGhostText(page, 180_000)).trim();
    assert(/^\s*(select|with)\b/i.test(shown), `the ghost text is not a query: "${shown}"`);
    await page.keyboard.press('Tab');
    const text = await waitForEditorText(page, "text.split('\\n').slice(1).join(' ').trim().length > 0", 15_000);
    const sql = text.split('\n').slice(1).join('\n').trim();
    const names = columnNames(sql, catalog);
    assert(names.unknown.length === 0 && names.known.length > 0, `the answer does not name the workspace's columns: ${sql}`);
    const bar = ((await page.locator('.statusbar-item', { hasText: /smollm2/i }).first().textContent()) ?? '').trim();
    assert(!/fallback|offline|disabled/i.test(bar), `the status bar does not show the builtin model serving: ${bar}`);
    const errors = await errorNotifications(page);
    assert(errors.length === 0, `error notifications: ${errors.join(' | ')}`);
    return `accepted "${sql.replace(/\s+/g, ' ')}"; status bar "${bar}"`;
  });
}

/** A wheel of the repository's Python package, built from a copy (the repo stays untouched). */
async function buildWheel(python: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'qw-wheel-'));
  const source = join(dir, 'src');
  for (const entry of ['pyproject.toml', 'README.md', 'server', 'trainer', 'cli', 'schemas']) {
    if (existsSync(join(REPO, entry))) {
      cpSync(join(REPO, entry), join(source, entry), {
        recursive: true,
        filter: (path) => !/__pycache__|\.egg-info/.test(path),
      });
    }
  }
  await run(python, ['-m', 'pip', 'wheel', '--no-deps', '-q', '-w', join(dir, 'dist'), source], { timeout: 300_000 });
  const wheel = readdirSync(join(dir, 'dist')).find((f) => f.endsWith('.whl'));
  assert(wheel, 'building the wheel produced no .whl');
  return join(dir, 'dist', wheel);
}

async function main(): Promise<number> {
  const python = env('QW_PYTHON');
  const artifacts = env('QW_ARTIFACTS', join(REPO, 'artifacts', 'vscode-e2e'));
  const base = {
    binary: env('QW_CODE_SERVER'),
    vsix: env('QW_VSIX', join(EXTENSION_ROOT, 'querywright.vsix')),
    chromiumPath: env('QW_CHROMIUM', '/usr/bin/chromium'),
    artifacts,
  };
  rmSync(artifacts, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });
  const runner = new Runner(artifacts);
  const started = Date.now();
  const only = (process.env.QW_E2E_ONLY ?? '').split(',').map((l) => l.trim()).filter(Boolean);
  const wanted = (label: string): boolean => only.length === 0 || only.includes(label);

  const catalog = await loadCatalog(python, WORKSPACE_SOURCE);
  const users = catalog.tables.get('users');
  assert(users && USERS_COLUMNS.every((c) => users.has(c)), `the CLI's catalog of users differs: ${[...(users ?? [])].join(', ')}`);

  if (wanted('main')) await withEditor(
    {
      ...base,
      label: 'main',
      settings: {
        'querywright.interpreter': python,
        'querywright.trace.server': 'messages',
        // A shared 2-core CI machine loads the model slowly; this also checks that
        // editor settings reach the server.
        'querywright.inline.timeout_ms': 20000,
        // Suggestions only when asked (Ctrl+Space), so typing is deterministic.
        'editor.quickSuggestions': { other: 'off', comments: 'off', strings: 'off' },
        'editor.suggestOnTriggerCharacters': false,
        'editor.autoClosingBrackets': 'never',
        'editor.autoClosingQuotes': 'never',
        'editor.inlineSuggest.enabled': true,
      },
    },
    runner,
    (page) => scenarios(runner, page, catalog),
  );
  // QW_E2E_DOCS_IMAGE=1: refresh the README's screenshot from a fully passing run.
  const inline = readdirSync(artifacts).find((f) => f.endsWith('-inline-suggestion.png'));
  if (process.env.QW_E2E_DOCS_IMAGE === '1' && inline && runner.outcomes.every((o) => o.ok)) {
    mkdirSync(join(REPO, 'docs', 'img'), { recursive: true });
    copyFileSync(join(artifacts, inline), join(REPO, 'docs', 'img', 'extension.png'));
    console.log('docs/img/extension.png updated');
  }

  if (wanted('restricted')) {
    const recorder = new RecordingServer();
    await recorder.start();
    try {
      await withEditor(
        {
          ...base,
          label: 'restricted',
          settings: {
            ...RESTRICTED_SETTINGS,
            'querywright.interpreter': python,
            'editor.quickSuggestions': { other: 'off', comments: 'off', strings: 'off' },
            'editor.suggestOnTriggerCharacters': false,
            'editor.autoClosingBrackets': 'never',
            'editor.autoClosingQuotes': 'never',
          },
          workspaceTrust: true,
          prepare: (workspace) => redirectWorkspace(workspace, recorder.url),
        },
        runner,
        (page) => restrictedScenario(runner, page, recorder, SCRATCH),
      );
    } finally {
      await recorder.stop();
    }
  }

  const missing = '/nonexistent/bin/python3';
  if (wanted('bad-interpreter')) await withEditor({ ...base, label: 'bad-interpreter', settings: { 'querywright.interpreter': missing } }, runner, (page) =>
    startFailureScenario(runner, page, missing),
  );

  if (wanted('managed-install')) {
    const wheel = await buildWheel(python);
    await withEditor(
      { ...base, label: 'managed-install', settings: {}, env: { QUERYWRIGHT_SERVER_PACKAGE: wheel } },
      runner,
      (page) => managedInstallScenario(runner, page, catalog),
    );
    rmSync(join(wheel, '..', '..'), { recursive: true, force: true });
  }

  const passed = runner.outcomes.filter((o) => o.ok).length;
  const failed = runner.outcomes.length - passed;
  console.log(`e2e took ${((Date.now() - started) / 1000).toFixed(0)} s; artifacts in ${artifacts}`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.stack : error);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
