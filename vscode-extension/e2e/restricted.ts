/**
 * Restricted Mode in the real editor: workspace trust on, the example workspace not
 * trusted, and its querywright.toml pointing `ollama_host` at a model server the
 * workspace names (the kind of redirection a cloned repository could attempt).
 *
 * The "remote" server is a recorder on 127.0.0.1 (the test sends no traffic off this
 * machine): it answers every request with 503 and remembers it. The server's trust gate
 * drops a workspace file's `ollama_host` whatever the address, so a loopback stand-in
 * tests the same rule. Checked through the page: the extension activates with limited
 * support, completion and diagnostics work, a warning names the ignored setting, and the
 * recorder receives nothing; then the folder is trusted from the Workspace Trust editor,
 * the extension restarts its server, and the recorder is asked (so the silence before was
 * the gate, not a model that never calls out).
 */
import { appendFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { clearEditor, errorNotifications, focusEditor, openFile, runCommand, suggestLabels, waitForWorkbench } from './workbench';

/** What the scenario needs of the e2e runner. */
export interface Checker {
  check(name: string, body: () => Promise<string>): Promise<boolean>;
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** A stand-in for a model server elsewhere: records each request, answers 503. */
export class RecordingServer {
  readonly requests: string[] = [];
  private server: Server | undefined;

  get url(): string {
    const address = this.server?.address() as AddressInfo | null;
    if (!address) throw new Error('the recording server is not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      this.requests.push(`${request.method} ${request.url}`);
      request.resume();
      response.writeHead(503, { 'content-type': 'application/json' });
      response.end('{"error": "recording stand-in"}');
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** The model the workspace file names: an Ollama model, so a trusted server asks `ollama_host`. */
export const WORKSPACE_MODEL = 'ollama:qw-remote-model';

/** Append the outbound settings to the workspace's querywright.toml. */
export function redirectWorkspace(workspace: string, host: string): void {
  appendFileSync(join(workspace, 'querywright.toml'), `\nollama_host = "${host}"\nmodel = "${WORKSPACE_MODEL}"\n`);
}

const USERS_COLUMNS = ['id', 'email', 'name', 'created_at', 'country', 'is_active'];
const IGNORED = 'ollama_host: ignored: this workspace is not trusted';

export async function restrictedScenario(runner: Checker, page: Page, recorder: RecordingServer, scratch: string): Promise<void> {
  await runner.check('Restricted Mode: the untrusted workspace opens restricted and the extension activates', async () => {
    await waitForWorkbench(page);
    const restricted = page.locator('.statusbar-item, .part.banner', { hasText: /Restricted Mode/ });
    await restricted.first().waitFor({ timeout: 60_000 });
    await openFile(page, scratch);
    const status = page.locator('.statusbar-item', { hasText: /\d+ tables?/ });
    await status.first().waitFor({ timeout: 120_000 });
    return `"${((await restricted.first().textContent()) ?? '').trim()}"; querywright: "${((await status.first().textContent()) ?? '').trim()}"`;
  });

  await runner.check("Restricted Mode: a warning says the workspace file's ollama_host is ignored", async () => {
    const toast = page.locator('.notification-toast', { hasText: IGNORED });
    await toast.first().waitFor({ timeout: 60_000 });
    const message = ((await toast.first().locator('.notification-list-item-message').textContent()) ?? '').trim();
    assert(!message.includes(recorder.url), `the warning repeats the workspace's host: ${message}`);
    return `"${message}"`;
  });

  await runner.check('Restricted Mode: completion after "SELECT u." lists the columns of users', async () => {
    await clearEditor(page);
    await page.keyboard.type('SELECT  FROM users u;');
    await page.keyboard.press('Home');
    for (let i = 0; i < 'SELECT '.length; i++) await page.keyboard.press('ArrowRight');
    await page.keyboard.type('u.');
    await page.keyboard.press('Control+Space');
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
    await page.keyboard.press('Escape');
    return `suggestions: ${labels.join(', ')}`;
  });

  await runner.check('Restricted Mode: an unknown column gets a diagnostic', async () => {
    await clearEditor(page);
    await page.keyboard.insertText('SELECT u.emial FROM users u;');
    const squiggle = page.locator('.editor-instance .monaco-editor .squiggly-error, .editor-instance .monaco-editor .squiggly-warning');
    await squiggle.first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Control+Shift+M');
    const problem = page.locator('.markers-panel .monaco-list-row[aria-level="2"]', { hasText: 'emial' });
    await problem.first().waitFor({ timeout: 30_000 });
    const message = ((await problem.first().textContent()) ?? '').trim();
    await page.keyboard.press('Control+J');
    await page.locator('.markers-panel').waitFor({ state: 'hidden' });
    await focusEditor(page);
    return `problem: "${message}"`;
  });

  await runner.check("Restricted Mode: the workspace's model server received no request", async () => {
    // The server has chosen its model backend once the status leaves "loading": the
    // warm-up that asks an Ollama host (/api/tags, /api/show) has happened by then.
    const settled = page.locator('.statusbar-item', { hasText: /\b(ready|offline|disabled) · \d+ tables?/ });
    await settled.first().waitFor({ timeout: 120_000 });
    const status = ((await settled.first().textContent()) ?? '').trim();
    assert(recorder.requests.length === 0, `requests to the workspace's ollama_host: ${recorder.requests.join(', ')}`);
    const errors = await errorNotifications(page);
    assert(errors.length === 0, `error notifications: ${errors.join(' | ')}`);
    return `status "${status}"; no request; no error notification`;
  });

  await runner.check('trusting the folder restarts the server, which then uses the workspace file\'s ollama_host', async () => {
    await runCommand(page, 'Workspaces: Manage Workspace Trust');
    const trust = page.locator('.workspace-trust-editor .monaco-button', { hasText: /^\s*Trust( Folder)?\s*$/ });
    await trust.first().waitFor({ timeout: 30_000 });
    await trust.first().click();
    // Trusted: the banner goes (hidden), and the extension restarts its language server.
    await page.locator('.part.banner', { hasText: /Restricted Mode/ }).first().waitFor({ state: 'hidden', timeout: 30_000 });
    const deadline = Date.now() + 90_000;
    while (recorder.requests.length === 0 && Date.now() < deadline) await page.waitForTimeout(500);
    assert(recorder.requests.length > 0, 'the trusted workspace\'s ollama_host was never asked');
    return `requests once trusted: ${recorder.requests.slice(0, 5).join(', ')}`;
  });
}
