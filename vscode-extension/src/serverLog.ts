/**
 * The level of a line of the server's stderr (Python logging: `WARNING name: message`),
 * so the output channel shows warnings as warnings instead of every line as an error.
 * Lines without a level (traceback frames) keep the level of the line before. Pure module.
 */

export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';

const PREFIX: Record<string, Level> = {
  DEBUG: 'debug',
  INFO: 'info',
  WARNING: 'warn',
  ERROR: 'error',
  CRITICAL: 'error',
};

export function levelOf(line: string, previous: Level | undefined): Level {
  const match = /^\s*(?:\S+\s+\S+\s+)?\[?(DEBUG|INFO|WARNING|ERROR|CRITICAL)\]?\b/.exec(line);
  if (match) return PREFIX[match[1]];
  if (/^Traceback \(most recent call last\)/.test(line)) return 'error';
  return previous ?? 'info';
}
