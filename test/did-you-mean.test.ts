import { test } from 'node:test'
import assert from 'node:assert/strict'
import { didYouMean } from '../src/did-you-mean.ts'

const KEYS = ['name', 'on', 'match', 'priority', 'handle']

test('a near miss is matched to the closest choice, case aside', () => {
  assert.equal(didYouMean('macth', KEYS), 'match')
  assert.equal(didYouMean('priorty', KEYS), 'priority')
  assert.equal(didYouMean('Handle', KEYS), 'handle')
  assert.equal(didYouMean('txt', ['text', 'image', 'voice']), 'text')
})

test('a word far from every choice gets no suggestion', () => {
  assert.equal(didYouMean('reply', KEYS), undefined)
  assert.equal(didYouMean('x', KEYS), undefined)
  assert.equal(didYouMean('callback', KEYS), undefined)
})
