import assert from 'node:assert/strict';
import { test } from 'node:test';
import { columnNames, tokens, type Catalog } from '../e2e/sqlNames';

const catalog: Catalog = {
  tables: new Map([
    ['users', new Set(['id', 'email', 'name', 'created_at'])],
    ['orders', new Set(['id', 'user_id', 'status'])],
  ]),
};

test('comments and strings are not names', () => {
  assert.deepEqual(tokens("SELECT 'x y' -- note\nFROM t"), ['SELECT', 'FROM', 't']);
});

test('real columns, qualified through aliases, are known', () => {
  const report = columnNames(
    "SELECT u.email, o.status, COUNT(*) AS n FROM users AS u JOIN orders o ON o.user_id = u.id WHERE u.created_at >= now() - interval '1 year' GROUP BY u.email, o.status",
    catalog,
  );
  assert.deepEqual(report.unknown, []);
  assert.deepEqual([...new Set(report.known)].sort(), ['created_at', 'email', 'id', 'status', 'user_id']);
});

test('invented columns are reported, also when qualified by an alias of the wrong table', () => {
  assert.deepEqual(columnNames('SELECT email, album_title FROM users', catalog).unknown, ['album_title']);
  assert.deepEqual(columnNames('SELECT u.status FROM users u', catalog).unknown, ['u.status']);
  assert.deepEqual(columnNames('SELECT x.id FROM users u', catalog).unknown, ['x'], 'an unknown qualifier');
});
