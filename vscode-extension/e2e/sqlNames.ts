/**
 * Which column names a SQL statement uses, to check that an accepted AI
 * suggestion names only real columns. A small tokenizer, deliberately
 * independent of the server's parser.
 */

export interface Catalog {
  /** table name (lower case) -> its column names (lower case) */
  tables: Map<string, Set<string>>;
}

export interface NameReport {
  /** Column names the statement uses that exist in some table. */
  known: string[];
  /** Identifiers that are no keyword, function, table, alias or column. */
  unknown: string[];
}

const KEYWORDS = new Set(
  (
    'select from where and or not in is null as on join inner left right full outer cross natural using ' +
    'group by order having limit offset distinct all union intersect except case when then else end ' +
    'asc desc nulls first last with recursive insert into values update set delete returning create ' +
    'table view index drop alter add column primary key foreign references default unique check ' +
    'constraint true false between like ilike similar exists any some interval current_date ' +
    'current_timestamp current_time localtimestamp now extract year month day hour minute second ' +
    'week quarter epoch dow doy date time timestamp timestamptz text varchar char integer int bigint ' +
    'smallint boolean numeric decimal real double precision serial bigserial cast filter over ' +
    'partition rows range unbounded preceding following current row window lateral fetch next only ' +
    'tablesample escape collate at zone top'
  ).split(/\s+/),
);

/** Tokens of `sql` with comments and string literals removed. */
export function tokens(sql: string): string[] {
  const stripped = sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, ' ');
  return stripped.match(/"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*|\d+(?:\.\d+)?|\S/g) ?? [];
}

function unquote(token: string): string {
  return token.startsWith('"') ? token.slice(1, -1).replace(/""/g, '"') : token.toLowerCase();
}

const isIdentifier = (t: string | undefined): t is string => !!t && /^(?:"|[A-Za-z_])/.test(t);

export function columnNames(sql: string, catalog: Catalog): NameReport {
  const toks = tokens(sql);
  const allColumns = new Set<string>();
  for (const columns of catalog.tables.values()) for (const c of columns) allColumns.add(c);

  // Aliases: an identifier after a table name (optionally after AS), and anything after AS.
  const aliases = new Set<string>();
  const aliasTable = new Map<string, string>();
  for (let i = 0; i < toks.length; i++) {
    const t = unquote(toks[i]);
    const next = toks[i + 1];
    if (t === 'as' && isIdentifier(next)) aliases.add(unquote(next));
    if (catalog.tables.has(t) && toks[i - 1] !== '.') {
      const aliasToken = next?.toLowerCase() === 'as' ? toks[i + 2] : next;
      if (isIdentifier(aliasToken) && !KEYWORDS.has(unquote(aliasToken))) {
        aliases.add(unquote(aliasToken));
        aliasTable.set(unquote(aliasToken), t);
      }
    }
    // CTE names: WITH name AS (
    if ((t === 'with' || t === ',') && isIdentifier(next) && toks[i + 2]?.toLowerCase() === 'as') aliases.add(unquote(next));
  }

  const known: string[] = [];
  const unknown: string[] = [];
  for (let i = 0; i < toks.length; i++) {
    const raw = toks[i];
    if (!isIdentifier(raw)) continue;
    const name = unquote(raw);
    const prev = toks[i - 1];
    const next = toks[i + 1];
    if (next === '.') continue; // qualifier: table or alias, checked below when unknown
    if (next === '(') continue; // function call
    if (prev === '.') {
      const qualifier = unquote(toks[i - 2] ?? '');
      const table = catalog.tables.get(aliasTable.get(qualifier) ?? qualifier);
      if (table ? table.has(name) : allColumns.has(name)) known.push(name);
      else unknown.push(`${qualifier}.${name}`);
      if (!catalog.tables.has(qualifier) && !aliases.has(qualifier)) unknown.push(qualifier);
      continue;
    }
    if (KEYWORDS.has(name) && !raw.startsWith('"')) continue;
    if (catalog.tables.has(name) || aliases.has(name)) continue;
    if (allColumns.has(name)) known.push(name);
    else unknown.push(name);
  }
  return { known, unknown };
}
