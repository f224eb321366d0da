/**
 * The `querywright.schema` result (same shape as `querywright schema --json`)
 * turned into what the schema tree view shows. Pure module.
 */
import * as path from 'node:path';

export interface SourceLocation {
  /** Absolute path of the DDL/migration file. */
  path: string;
  /** 1-based line of the definition. */
  line: number;
}

export interface ColumnEntry {
  name: string;
  type: string;
  source?: SourceLocation;
}

export interface TableEntry {
  name: string;
  columns: ColumnEntry[];
  source?: SourceLocation;
}

export interface SchemaModel {
  dialect: string;
  tables: TableEntry[];
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function location(value: unknown, root: string): SourceLocation | undefined {
  const v = record(value);
  if (!v || typeof v.path !== 'string' || !v.path) return undefined;
  const line = typeof v.line === 'number' && v.line >= 1 ? v.line : 1;
  return { path: path.isAbsolute(v.path) ? v.path : path.join(root, v.path), line };
}

/**
 * Parse the server's answer; relative source paths are resolved against
 * `root` (the workspace folder). Tables are sorted by name, columns keep the
 * order of the DDL. Throws when the answer is not the documented shape.
 */
export function parseSchema(value: unknown, root: string): SchemaModel {
  const v = record(value);
  if (!v || !Array.isArray(v.tables)) {
    throw new Error('the server answered querywright.schema without a "tables" list');
  }
  const tables: TableEntry[] = [];
  for (const rawTable of v.tables) {
    const t = record(rawTable);
    if (!t || typeof t.name !== 'string') continue;
    const tableSource = location(t.source, root);
    const columns: ColumnEntry[] = [];
    for (const rawColumn of Array.isArray(t.columns) ? t.columns : []) {
      const c = record(rawColumn);
      if (!c || typeof c.name !== 'string') continue;
      columns.push({
        name: c.name,
        type: typeof c.type === 'string' ? c.type : '',
        source: location(c.source, root) ?? tableSource,
      });
    }
    tables.push({ name: t.name, columns, source: tableSource });
  }
  tables.sort((a, b) => a.name.localeCompare(b.name));
  return { dialect: typeof v.dialect === 'string' ? v.dialect : '', tables };
}
