import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isServerStatus, shortModel, viewOfStatus } from '../src/statusText';

test('the status bar shows model, backend state and table count', () => {
  const view = viewOfStatus({ model: 'builtin:smollm2-135m', backend: 'ready', tables: 3, message: '' });
  assert.match(view.text, /builtin:smollm2-135m/);
  assert.match(view.text, /ready/);
  assert.match(view.text, /3 tables/);
  assert.equal(view.severity, 'normal');
  assert.match(viewOfStatus({ model: 'm', backend: 'loading', tables: 1, message: '' }).text, /1 table\b/);
});

test('an offline backend is a warning and its message is in the tooltip', () => {
  const view = viewOfStatus({ model: 'ollama:qwen', backend: 'offline', tables: 0, message: 'Ollama is not reachable' });
  assert.equal(view.severity, 'warning');
  assert.match(view.tooltip, /Ollama is not reachable/);
});

test('model paths are shortened to the file name', () => {
  assert.equal(shortModel('/home/u/models/tuned.gguf'), 'tuned.gguf');
  assert.equal(shortModel('/m/base.gguf+/m/adapter.gguf'), 'base.gguf+adapter');
  assert.equal(shortModel('openai:http://host:8000/v1#m'), 'openai:http://host:8000/v1#m');
  assert.equal(shortModel(''), 'no model');
});

test('malformed notifications are rejected', () => {
  assert.equal(isServerStatus({ model: 'm', backend: 'ready', tables: 2, message: '' }), true);
  assert.equal(isServerStatus({ model: 'm', backend: 'sleeping', tables: 2 }), false);
  assert.equal(isServerStatus({ model: 'm', backend: 'ready' }), false);
  assert.equal(isServerStatus(null), false);
});
