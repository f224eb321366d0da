import assert from 'node:assert/strict';
import { test } from 'node:test';
import { levelOf } from '../src/serverLog';

test('Python logging levels map to output channel levels', () => {
  assert.equal(levelOf('WARNING pygls.protocol.json_rpc: Cancel notification for unknown message id "9"', undefined), 'warn');
  assert.equal(levelOf('INFO querywright.server: catalog loaded', 'warn'), 'info');
  assert.equal(levelOf('ERROR querywright.server.lsp.boundary: hover failed', undefined), 'error');
  assert.equal(levelOf('DEBUG x: y', undefined), 'debug');
  assert.equal(levelOf('2026-11-22 16:33:33,424 WARNING name: message', undefined), 'warn');
});

test('traceback lines keep the level of the line before; a bare traceback is an error', () => {
  assert.equal(levelOf('  File "/x/server.py", line 99, in inline_completion', 'warn'), 'warn');
  assert.equal(levelOf('Traceback (most recent call last):', 'info'), 'error');
  assert.equal(levelOf('some text', undefined), 'info');
});
