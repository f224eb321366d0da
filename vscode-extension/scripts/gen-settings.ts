// Writes contributes.configuration of package.json from schemas/config.schema.json.
// `--check`: exit 1 (and change nothing) when package.json is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allContributions, type SchemaNode } from '../src/settings';

const root = join(__dirname, '..', '..');
const schemaPath = join(root, '..', 'schemas', 'config.schema.json');
const packagePath = join(root, 'package.json');

const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as SchemaNode;
const pkg = JSON.parse(readFileSync(packagePath, 'utf8')) as { contributes?: Record<string, unknown> };
const configuration = { title: 'querywright', properties: allContributions(schema) };
const current = JSON.stringify(pkg.contributes?.configuration);

if (current === JSON.stringify(configuration)) {
  console.log('package.json settings match the schema');
} else if (process.argv.includes('--check')) {
  console.error('package.json settings differ from schemas/config.schema.json: run `npm run gen-settings`');
  process.exit(1);
} else {
  pkg.contributes = { ...pkg.contributes, configuration };
  writeFileSync(packagePath, JSON.stringify(pkg, null, 2) + '\n');
  console.log(`package.json: ${Object.keys(configuration.properties).length} settings written`);
}
