import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  main: string;
  engines: { vscode: string };
  capabilities: {
    untrustedWorkspaces: { supported: boolean | string; description: string; restrictedConfigurations: string[] };
  };
  contributes: {
    commands: { command: string; title: string }[];
    views: Record<string, { id: string }[]>;
  };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

test('the commands of the issue are contributed with their titles', () => {
  const titles = Object.fromEntries(pkg.contributes.commands.map((c) => [c.command, c.title]));
  assert.deepEqual(
    {
      generate: titles['querywright.generateFromComment'],
      model: titles['querywright.selectModel'],
      reload: titles['querywright.reloadSchema'],
      show: titles['querywright.showSchema'],
      restart: titles['querywright.restartServer'],
      tune: titles['querywright.fineTune'],
    },
    {
      generate: 'Generate SQL from comment',
      model: 'Select model',
      reload: 'Reload schema',
      show: 'Show schema',
      restart: 'Restart server',
      tune: "Fine-tune on this repo's queries",
    },
  );
});

test('the schema view is contributed and the bundle is the entry point', () => {
  const views = Object.values(pkg.contributes.views).flat().map((v) => v.id);
  assert.ok(views.includes('querywright.schemaView'));
  assert.equal(pkg.main, './dist/extension.js');
});

test('vscode-languageclient is 10+ (9.x breaks inline completion) and @types/vscode fits the engine', () => {
  const client = pkg.dependencies['vscode-languageclient'];
  assert.ok(Number(client.replace(/^[^\d]*/, '').split('.')[0]) >= 10, client);
  const engine = pkg.engines.vscode.replace(/^\^/, '');
  assert.equal(pkg.devDependencies['@types/vscode'], engine);
});

test('Restricted Mode is supported in part: the settings that run programs or send data elsewhere are restricted', () => {
  const untrusted = pkg.capabilities.untrustedWorkspaces;
  assert.equal(untrusted.supported, 'limited');
  assert.ok(untrusted.description.length > 20);
  assert.deepEqual(new Set(untrusted.restrictedConfigurations), new Set([
    'querywright.interpreter', 'querywright.database_url', 'querywright.ollama_host', 'querywright.model',
  ]));
});

test('the database password command is contributed', () => {
  const titles = Object.fromEntries(pkg.contributes.commands.map((c) => [c.command, c.title]));
  assert.equal(titles['querywright.setDatabasePassword'], 'Set database password');
});
