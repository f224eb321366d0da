/**
 * "Show schema": a tree of tables and columns filled by the server command
 * `querywright.schema`; clicking an entry opens the DDL at its definition.
 */
import * as vscode from 'vscode';
import { parseSchema, type ColumnEntry, type SchemaModel, type SourceLocation, type TableEntry } from './schemaModel';

export const SCHEMA_VIEW = 'querywright.schemaView';
export const OPEN_DEFINITION = 'querywright.openDefinition';

type Node = { kind: 'table'; table: TableEntry } | { kind: 'column'; column: ColumnEntry };

export class SchemaTree implements vscode.TreeDataProvider<Node> {
  private model: SchemaModel = { dialect: '', tables: [] };
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly fetch: () => Promise<unknown>) {}

  /** Ask the server for the schema again and redraw. */
  async refresh(): Promise<number | undefined> {
    const answer = await this.fetch();
    if (answer === undefined) return undefined;
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    this.model = parseSchema(answer, root);
    this.changed.fire(undefined);
    return this.model.tables.length;
  }

  getChildren(node?: Node): Node[] {
    if (!node) return this.model.tables.map((table) => ({ kind: 'table', table }));
    if (node.kind === 'table') return node.table.columns.map((column) => ({ kind: 'column', column }));
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'table') {
      const item = new vscode.TreeItem(node.table.name, vscode.TreeItemCollapsibleState.Collapsed);
      item.iconPath = new vscode.ThemeIcon('table');
      item.description = `${node.table.columns.length} columns`;
      item.contextValue = 'table';
      return withDefinition(item, node.table.source);
    }
    const item = new vscode.TreeItem(node.column.name, vscode.TreeItemCollapsibleState.None);
    item.iconPath = new vscode.ThemeIcon('symbol-field');
    item.description = node.column.type;
    item.contextValue = 'column';
    return withDefinition(item, node.column.source);
  }
}

function withDefinition(item: vscode.TreeItem, source: SourceLocation | undefined): vscode.TreeItem {
  if (!source) return item;
  item.tooltip = `${source.path}:${source.line}`;
  item.command = { command: OPEN_DEFINITION, title: 'Open Definition', arguments: [source] };
  return item;
}

/** Open `source.path` with the cursor on its (1-based) line. */
export async function openDefinition(source: SourceLocation): Promise<void> {
  const line = Math.max(0, source.line - 1);
  const document = await vscode.workspace.openTextDocument(vscode.Uri.file(source.path));
  const position = new vscode.Position(Math.min(line, document.lineCount - 1), 0);
  await vscode.window.showTextDocument(document, {
    selection: new vscode.Range(position, position),
    preview: true,
  });
}
