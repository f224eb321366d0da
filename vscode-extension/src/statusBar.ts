/** The status bar item: model, AI backend state and number of tables. */
import * as vscode from 'vscode';
import type { StatusView } from './statusText';

export const STATUS_ITEM_ID = 'querywright.status';

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor() {
    this.item = vscode.window.createStatusBarItem(STATUS_ITEM_ID, vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'querywright';
  }

  show(view: StatusView, command: string): void {
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.command = command;
    this.item.backgroundColor =
      view.severity === 'normal' ? undefined : new vscode.ThemeColor(`statusBarItem.${view.severity}Background`);
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
