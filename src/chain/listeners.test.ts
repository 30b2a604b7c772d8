import assert from 'node:assert/strict'
import { test } from 'node:test'
import { listeners } from './listeners.ts'

test('every handler hears each event in order; a remover removes only its own', () => {
  const heard: string[] = []
  const l = listeners<number>(() => assert.fail('no handler throws'))
  const offA = l.on((v) => heard.push(`a${v}`))
  l.on((v) => heard.push(`b${v}`))
  l.emit(1)
  offA()
  l.emit(2)
  l.clear()
  l.emit(3)
  assert.deepEqual(heard, ['a1', 'b1', 'b2'])
})

test('a handler that throws is reported and the others still hear the event', () => {
  const errors: unknown[] = []
  const heard: number[] = []
  const l = listeners<number>((err) => errors.push(err))
  l.on(() => {
    throw new Error('boom')
  })
  l.on((v) => heard.push(v))
  l.emit(7)
  assert.deepEqual(heard, [7])
  assert.equal((errors[0] as Error).message, 'boom')
})
