import { test } from 'node:test'
import assert from 'node:assert/strict'
import { consentKey, newReward, pauseReason, readConsent, widgetPhase, workerShimSource, writeConsent, type ConsentStorage } from './policy.ts'

const memory = (): ConsentStorage & { map: Map<string, string> } => {
  const map = new Map<string, string>()
  return { map, getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v) }
}

test('the choice is remembered per server origin', () => {
  const s = memory()
  assert.equal(readConsent(s, 'https://a.example'), null)
  writeConsent(s, 'https://a.example', 'granted')
  assert.equal(readConsent(s, 'https://a.example'), 'granted')
  assert.equal(readConsent(s, 'https://b.example'), null, 'another server is asked again')
  writeConsent(s, 'https://a.example', 'stopped')
  assert.equal(readConsent(s, 'https://a.example'), 'stopped')
  assert.equal(consentKey('https://a.example'), 'webtensor-miner:consent:https://a.example')
})

test('an unreadable, refusing or foreign-valued storage means no remembered choice', () => {
  const throwing: ConsentStorage = { getItem: () => { throw new Error('SecurityError') }, setItem: () => { throw new Error('QuotaExceeded') } }
  assert.equal(readConsent(throwing, 'https://a.example'), null)
  assert.doesNotThrow(() => writeConsent(throwing, 'https://a.example', 'granted'))
  assert.equal(readConsent(null, 'https://a.example'), null)
  const s = memory()
  s.map.set(consentKey('https://a.example'), 'yes please')
  assert.equal(readConsent(s, 'https://a.example'), null)
})

test('pause on a hidden tab, or on a low battery that is not charging', () => {
  assert.equal(pauseReason({ hidden: false, battery: null }), null)
  assert.match(pauseReason({ hidden: true, battery: null }) ?? '', /hidden/)
  assert.match(pauseReason({ hidden: false, battery: { charging: false, level: 0.1 } }) ?? '', /battery is low \(10 %\)/)
  assert.equal(pauseReason({ hidden: false, battery: { charging: true, level: 0.1 } }), null)
  assert.equal(pauseReason({ hidden: false, battery: { charging: false, level: 0.9 } }), null)
})

test('the phase the host page sees', () => {
  assert.equal(widgetPhase('mining', true, false), 'paused')
  assert.equal(widgetPhase('loading-model', true, false), 'loading-model', 'a paused start still loads; it pauses once mining')
  assert.equal(widgetPhase('mining', false, true), 'stopped')
  assert.equal(widgetPhase('mining', false, false), 'mining')
})

test('a reward is reported once per new epoch with a uid and an incentive', () => {
  assert.equal(newReward({ uid: null, incentive: 0.5, epoch: 3 }, null), null)
  assert.deepEqual(newReward({ uid: 2, incentive: 0.5, epoch: 3 }, null), { uid: 2, incentive: 0.5, epoch: 3 })
  assert.equal(newReward({ uid: 2, incentive: 0.5, epoch: 3 }, 3), null)
  assert.deepEqual(newReward({ uid: 2, incentive: 0, epoch: 4 }, 3), { uid: 2, incentive: 0, epoch: 4 })
})

test('the worker shim imports the real script by its absolute URL, quoted as a JS string', () => {
  const statement = (quoted: string): string => ['import', quoted].join(' ') + ';\n'
  assert.equal(workerShimSource('https://s.example/widget/a.js'), statement('"https://s.example/widget/a.js"'))
  assert.equal(workerShimSource('https://s.example/"x".js'), statement('"https://s.example/\\"x\\".js"'))
})
