import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extrasFor, LOCAL_MODULE, modulesFor, withExtras } from '../src/requirements';

test('the builtin model, GGUF files, registered tunes and ollama (its fallback is builtin) need the local extra', () => {
  for (const model of ['builtin:smollm2-135m', '/models/sql.gguf', 'models/base.gguf+adapter.gguf', 'shop-sql-1', 'ollama:sqlcoder', '', undefined]) {
    assert.deepEqual(extrasFor(model), ['local'], String(model));
  }
  assert.deepEqual(extrasFor('openai:http://127.0.0.1:8000/v1#qwen'), []);
});

test('the health check imports what the extra provides', () => {
  assert.deepEqual(modulesFor(['local']), [LOCAL_MODULE]);
  assert.equal(LOCAL_MODULE, 'xllamacpp');
  assert.deepEqual(modulesFor([]), []);
});

test('extras are added to every requirement form pip takes', () => {
  assert.equal(withExtras('querywright', ['local']), 'querywright[local]');
  assert.equal(withExtras('querywright==0.1.0', ['local']), 'querywright[local]==0.1.0');
  assert.equal(withExtras('querywright>=0.1,<0.2', ['local']), 'querywright[local]>=0.1,<0.2');
  assert.equal(withExtras('querywright[postgres]', ['local']), 'querywright[postgres,local]');
  assert.equal(withExtras('querywright[local]', ['local']), 'querywright[local]');
  assert.equal(withExtras('querywright @ file:///tmp/q.whl', ['local']), 'querywright[local] @ file:///tmp/q.whl');
  assert.equal(
    withExtras('/tmp/qw-wheel-1/dist/querywright-0.1.0-py3-none-any.whl', ['local']),
    '/tmp/qw-wheel-1/dist/querywright-0.1.0-py3-none-any.whl[local]',
  );
  assert.equal(withExtras('querywright', []), 'querywright');
});
