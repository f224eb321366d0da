/**
 * Which `-- question` comment "Generate SQL from comment" sends to the server.
 * Pure module.
 */

const COMMENT = /^\s*--/;

/**
 * The 0-based line of the comment for a cursor on `cursorLine`: that line when
 * it is a `--` comment; for a cursor on a blank line, the nearest comment above
 * with only blank lines in between. Undefined otherwise (the cursor is on code).
 */
export function questionCommentLine(lines: readonly string[], cursorLine: number): number | undefined {
  if (cursorLine < 0 || cursorLine >= lines.length) return undefined;
  if (COMMENT.test(lines[cursorLine])) return cursorLine;
  if (lines[cursorLine].trim() !== '') return undefined;
  for (let line = cursorLine - 1; line >= 0; line--) {
    const text = lines[line];
    if (COMMENT.test(text)) return line;
    if (text.trim() !== '') return undefined;
  }
  return undefined;
}
