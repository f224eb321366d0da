import assert from 'node:assert/strict';
import { test } from 'node:test';
import { candidates, classifyProbe, probe, serverArgs, venvPython } from '../src/interpreter';

test('an explicit interpreter setting comes first, then only the managed environment', () => {
  assert.deepEqual(candidates({ setting: ' /opt/py/bin/python ', pythonExtension: '/x/python', managed: '/m/python' }), [
    { python: '/opt/py/bin/python', source: 'setting' },
    { python: '/m/python', source: 'managed' },
  ]);
});

test('without a setting: Python extension, managed environment, python3', () => {
  assert.deepEqual(
    candidates({ setting: '', pythonExtension: '/x/python', managed: '/m/python' }).map((c) => c.source),
    ['python-extension', 'managed', 'default'],
  );
  assert.deepEqual(candidates({ setting: '' }), [{ python: 'python3', source: 'default' }]);
});

test('the server runs as a module of the interpreter', () => {
  assert.deepEqual(serverArgs(), ['-m', 'querywright.cli.main', 'lsp']);
  assert.equal(venvPython('/s/venv', 'linux'), '/s/venv/bin/python');
  assert.equal(venvPython('C:\\s\\venv', 'win32').endsWith('python.exe'), true);
});

test('probe outcomes are classified', () => {
  assert.deepEqual(classifyProbe(null, '0.1.0\n', ''), { kind: 'ok', version: '0.1.0' });
  const enoent = Object.assign(new Error('spawn nope ENOENT'), { code: 'ENOENT' });
  assert.equal(classifyProbe(enoent, '', '').kind, 'no-interpreter');
  const missing = Object.assign(new Error('exit 3'), { code: 3 });
  assert.equal(classifyProbe(missing, '', '').kind, 'missing-package');
});

test('probing real interpreters: missing interpreter, missing package', async () => {
  assert.equal((await probe('/nonexistent/python3')).kind, 'no-interpreter');
  assert.equal((await probe('python3', 20000, 'querywright_absent.cli.main')).kind, 'missing-package');
});

test('probing the interpreter that has the server (QW_PYTHON)', { skip: !process.env.QW_PYTHON && 'QW_PYTHON is not set' }, async () => {
  const result = await probe(process.env.QW_PYTHON ?? '');
  assert.equal(result.kind, 'ok', JSON.stringify(result));
});
