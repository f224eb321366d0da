import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSchema } from '../src/schemaModel';

const answer = {
  dialect: 'postgres',
  tables: [
    {
      name: 'users',
      columns: [
        { name: 'id', type: 'INT' },
        { name: 'email', type: 'TEXT', source: { path: 'migrations/V2__email.sql', line: 3 } },
      ],
      source: { path: 'migrations/V1__init.sql', line: 1 },
    },
    { name: 'orders', columns: [{ name: 'id', type: 'INT' }], source: { path: '/abs/schema.sql', line: 10 } },
  ],
};

test('tables are sorted, columns keep DDL order, paths resolve against the workspace', () => {
  const model = parseSchema(answer, '/ws');
  assert.equal(model.dialect, 'postgres');
  assert.deepEqual(model.tables.map((t) => t.name), ['orders', 'users']);
  const users = model.tables[1];
  assert.deepEqual(users.columns.map((c) => c.name), ['id', 'email']);
  assert.deepEqual(users.source, { path: '/ws/migrations/V1__init.sql', line: 1 });
  assert.deepEqual(users.columns[0].source, users.source, 'a column without its own source uses the table\'s');
  assert.deepEqual(users.columns[1].source, { path: '/ws/migrations/V2__email.sql', line: 3 });
  assert.deepEqual(model.tables[0].source, { path: '/abs/schema.sql', line: 10 });
});

test('an answer without tables is an error, odd entries are skipped', () => {
  assert.throws(() => parseSchema({ message: 'unknown command' }, '/ws'), /tables/);
  const model = parseSchema({ tables: [{ columns: [] }, { name: 't', columns: [{ type: 'x' }] }] }, '/ws');
  assert.deepEqual(model.tables, [{ name: 't', columns: [], source: undefined }]);
});
