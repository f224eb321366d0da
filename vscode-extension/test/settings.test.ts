import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EXTENSION_ONLY, allContributions, nestSettings, settingsFromSchema, type SchemaNode } from '../src/settings';

// Compiled to out/test/: the extension root is two levels up.
const extensionRoot = join(__dirname, '..', '..');
const schema = JSON.parse(
  readFileSync(join(extensionRoot, '..', 'schemas', 'config.schema.json'), 'utf8'),
) as SchemaNode;
const pkg = JSON.parse(readFileSync(join(extensionRoot, 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, Record<string, unknown>> } };
};
const contributed = pkg.contributes.configuration.properties;

/** Every leaf of the schema with its dotted path: computed independently of settings.ts. */
function schemaLeaves(node: SchemaNode, prefix = ''): [string, SchemaNode][] {
  return Object.entries(node.properties ?? {}).flatMap(([name, child]) =>
    child.type === 'object' && child.properties
      ? schemaLeaves(child, `${prefix}${name}.`)
      : [[`${prefix}${name}`, child] as [string, SchemaNode]],
  );
}

test('package.json holds exactly the generated settings (run `npm run gen-settings` after a schema change)', () => {
  assert.deepEqual(contributed, JSON.parse(JSON.stringify(allContributions(schema))));
});

test('every schema key is a querywright.* setting with the same type, default and description', () => {
  const leaves = schemaLeaves(schema);
  assert.ok(leaves.length >= 10, `the schema has ${leaves.length} keys`);
  for (const [key, node] of leaves) {
    const setting = contributed[`querywright.${key}`];
    assert.ok(setting, `querywright.${key} is missing from package.json`);
    assert.deepEqual(setting.type, node.type, key);
    assert.deepEqual(setting.default, node.default, key);
    assert.equal(setting.description, node.description, key);
  }
  const expected = new Set([...leaves.map(([k]) => `querywright.${k}`), ...Object.keys(EXTENSION_ONLY)]);
  assert.deepEqual(new Set(Object.keys(contributed)), expected);
});

test('nested objects are flattened with dots, bounds kept', () => {
  const settings = settingsFromSchema(schema);
  assert.equal(settings['querywright.inline.debounce_ms'].type, 'integer');
  assert.equal(settings['querywright.inline.debounce_ms'].default, 40);
  assert.equal(settings['querywright.inline.debounce_ms'].minimum, 0);
  assert.equal(settings['querywright.inline.debounce_ms'].maximum, 5000);
  assert.equal(settings['querywright.inline'], undefined);
});

test('the extension-only settings exist and are not sent to the server', () => {
  assert.ok(contributed['querywright.interpreter']);
  assert.deepEqual(contributed['querywright.trace.server'].enum, ['off', 'messages', 'verbose']);
  const values: Record<string, unknown> = { interpreter: '/usr/bin/python3', 'trace.server': 'verbose' };
  const nested = nestSettings(schema, (key) => values[key]);
  assert.deepEqual(nested, {});
});

test('settings are nested back into the schema shape', () => {
  const values: Record<string, unknown> = {
    dialect: 'sqlite',
    model: 'ollama:qwen',
    database_url: null,
    'inline.debounce_ms': 50,
    'inline.enabled': false,
  };
  assert.deepEqual(
    nestSettings(schema, (key) => values[key]),
    { dialect: 'sqlite', model: 'ollama:qwen', database_url: null, inline: { enabled: false, debounce_ms: 50 } },
  );
});

test('all defaults nest into an object the schema describes', () => {
  const defaults = Object.fromEntries(
    Object.entries(settingsFromSchema(schema)).map(([k, v]) => [k.slice('querywright.'.length), v.default]),
  );
  const nested = nestSettings(schema, (key) => defaults[key]);
  const topKeys = Object.keys(schema.properties ?? {});
  assert.deepEqual(Object.keys(nested).sort(), [...topKeys].sort());
  assert.deepEqual(Object.keys(nested.inline as object).sort(), Object.keys(schema.properties?.inline.properties ?? {}).sort());
});
