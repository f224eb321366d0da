/**
 * Driving the VS Code workbench in the page: open files, type, read the
 * editor's text and widgets from the DOM.
 */
import type { Page } from 'playwright-core';

const MOD = 'Control';

/** Installed before the page loads: records every error notification that ever appears. */
export const ERROR_WATCH_SCRIPT = `
(() => {
  window.__qwErrors = [];
  const seen = new WeakSet();
  const scan = () => {
    for (const icon of document.querySelectorAll('.notification-list-item .codicon-error, .notification-toast .codicon-error')) {
      const item = icon.closest('.notification-list-item');
      if (!item || seen.has(item)) continue;
      seen.add(item);
      const message = item.querySelector('.notification-list-item-message');
      window.__qwErrors.push((message ? message.textContent : item.textContent) || '(empty)');
    }
  };
  new MutationObserver(scan).observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['class'] });
})();
`;

export async function errorNotifications(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __qwErrors?: string[] }).__qwErrors ?? []);
}

export async function waitForWorkbench(page: Page): Promise<void> {
  await page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: 120_000 });
  await page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout: 60_000 });
}

/** Quick Open (Ctrl+P) a file by name and wait for its editor tab. */
export async function openFile(page: Page, name: string): Promise<void> {
  await page.keyboard.press(`${MOD}+P`);
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  await input.fill(name);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab.active', { hasText: name }).waitFor();
  await page.locator('.editor-instance .monaco-editor .view-lines').first().waitFor();
}

/** Run a command from the palette by its title. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('Escape');
  await page.keyboard.press(`${MOD}+Shift+P`);
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}

export async function focusEditor(page: Page): Promise<void> {
  // Close whatever widget a previous step left open (suggest, code actions, quick input).
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
}

/** Replace the whole document with nothing. */
export async function clearEditor(page: Page): Promise<void> {
  await focusEditor(page);
  await page.keyboard.press(`${MOD}+A`);
  await page.keyboard.press('Delete');
  await page.waitForFunction(() => {
    const lines = document.querySelectorAll('.editor-instance .monaco-editor .view-lines .view-line');
    return Array.from(lines).every((l) => (l.textContent ?? '').trim() === '');
  });
}

/**
 * The editor's visible text, lines in order, non-breaking spaces as spaces,
 * without ghost text (runs in the page; self-contained).
 */
export function editorTextInPage(): string {
  const lines = Array.from(document.querySelectorAll<HTMLElement>('.editor-instance .monaco-editor .view-lines .view-line'));
  lines.sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top));
  return lines
    .map((line) => {
      const copy = line.cloneNode(true) as HTMLElement;
      copy.querySelectorAll('[class*="ghost-text"]').forEach((ghost) => ghost.remove());
      return (copy.textContent ?? '').replace(/\u00a0/g, ' ');
    })
    .join('\n');
}

export async function editorText(page: Page): Promise<string> {
  return page.evaluate(editorTextInPage);
}

/** Wait until the editor text satisfies `predicate` (given as source of a function of the text). */
export async function waitForEditorText(page: Page, predicate: string, timeout = 30_000): Promise<string> {
  const handle = await page.waitForFunction(
    ([source, reader]) => {
      const read = new Function(`return (${reader})`)() as () => string;
      const test = new Function('text', `return (${source})`) as (text: string) => boolean;
      const text = read();
      return test(text) ? text : false;
    },
    [predicate, editorTextInPage.toString()],
    { timeout },
  );
  return (await handle.jsonValue()) as string;
}

/** Names in the open suggest widget. */
export async function suggestLabels(page: Page): Promise<string[]> {
  return page
    .locator('.suggest-widget.visible .monaco-list-row .label-name')
    .evaluateAll((els) => els.map((e) => (e.textContent ?? '').trim()));
}

/** The ghost text shown in the editor (inline suggestion), lines joined with newlines. */
export async function ghostText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const parts = Array.from(document.querySelectorAll<HTMLElement>('.editor-instance .monaco-editor .ghost-text-decoration, .editor-instance .monaco-editor .ghost-text-decoration-preview, .editor-instance .monaco-editor .ghost-text .view-line'));
    return parts.map((p) => (p.textContent ?? '').replace(/\u00a0/g, ' ')).join('\n');
  });
}

const GHOST = '.editor-instance .monaco-editor .ghost-text-decoration, .editor-instance .monaco-editor .ghost-text-decoration-preview';

/**
 * Wait for ghost text at the cursor; every `everyMs` without one, ask for it again
 * ("Trigger Inline Suggestion"), as a user would. The server answers an empty list
 * while the model is still warming up, and the editor does not ask again by itself.
 */
export async function waitForGhostText(page: Page, timeout = 90_000, everyMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeout;
  const ghost = page.locator(GHOST).first();
  for (;;) {
    try {
      await ghost.waitFor({ timeout: Math.max(1, Math.min(everyMs, deadline - Date.now())) });
      return ghostText(page);
    } catch (error) {
      if (Date.now() >= deadline) throw error;
    }
    await runCommand(page, 'Trigger Inline Suggestion');
  }
}
