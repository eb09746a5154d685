import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CELEB_CLASSES, CELEB_TOKENS, LAPA_CLASSES, LAPA_TOKENS } from '../src/model/classes.js';

test('class tables have one token per class', () => {
  assert.equal(CELEB_CLASSES.length, 19);
  assert.equal(CELEB_TOKENS.length, 19);
  assert.equal(LAPA_CLASSES.length, 11);
  assert.equal(LAPA_TOKENS.length, 11);
});
