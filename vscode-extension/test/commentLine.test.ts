import assert from 'node:assert/strict';
import { test } from 'node:test';
import { questionCommentLine } from '../src/commentLine';

const doc = ['SELECT 1;', '', '-- emails of all users', '', '', 'SELECT 2;', '  -- indented'];

test('the cursor on the comment picks that line', () => {
  assert.equal(questionCommentLine(doc, 2), 2);
  assert.equal(questionCommentLine(doc, 6), 6);
});

test('blank lines below a comment pick the comment above', () => {
  assert.equal(questionCommentLine(doc, 3), 2);
  assert.equal(questionCommentLine(doc, 4), 2);
});

test('code between cursor and comment, or no comment: none', () => {
  assert.equal(questionCommentLine(doc, 5), undefined);
  assert.equal(questionCommentLine(doc, 1), undefined);
  assert.equal(questionCommentLine(doc, 99), undefined);
  assert.equal(questionCommentLine([], 0), undefined);
});
