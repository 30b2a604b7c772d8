import { test } from 'node:test'
import assert from 'node:assert/strict'
import { StreamState, YamuxStream } from '@libp2p/yamux/stream'
import { installYamuxWindowHysteresis, windowUpdateCanWait } from './yamux-window.ts'

test('an established stream sends a window update only once half its window is used', () => {
  const w = 256 * 1024
  assert.equal(windowUpdateCanWait({ state: StreamState.Established, recvWindow: w, recvWindowCapacity: w - 1200 }), true)
  assert.equal(windowUpdateCanWait({ state: StreamState.Established, recvWindow: w, recvWindowCapacity: w / 2 }), false)
  assert.equal(windowUpdateCanWait({ state: StreamState.Established, recvWindow: w, recvWindowCapacity: 0 }), false)
  // Opening a stream (SYN/ACK) and resuming a paused one always go through the library.
  for (const state of [StreamState.Init, StreamState.SYNReceived, StreamState.Paused]) {
    assert.equal(windowUpdateCanWait({ state, recvWindow: w, recvWindowCapacity: w }), false)
  }
})

test('the rule wraps YamuxStream once, however often it is installed', () => {
  installYamuxWindowHysteresis()
  const wrapped = (YamuxStream.prototype as unknown as { sendWindowUpdate: unknown }).sendWindowUpdate
  installYamuxWindowHysteresis()
  assert.equal((YamuxStream.prototype as unknown as { sendWindowUpdate: unknown }).sendWindowUpdate, wrapped)
  let sent = 0
  const fake = { state: StreamState.Established, recvWindow: 1000, recvWindowCapacity: 900, sendFrame: () => ((sent += 1), true), getSendFlags: () => 0, getRTT: () => -1, epochStart: 0 }
  ;(wrapped as (this: unknown) => void).call(fake)
  assert.equal(sent, 0, 'update sent with 90% of the window left')
  fake.recvWindowCapacity = 400
  ;(wrapped as (this: unknown) => void).call(fake)
  assert.equal(sent, 1, 'no update with 40% of the window left')
  assert.equal(fake.recvWindowCapacity, 1000)
})
