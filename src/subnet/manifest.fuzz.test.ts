// Seeded mutation fuzzing of parseManifest: the default manifest and variants of it, mutated as
// JSON values (type confusion, huge and NaN-ish numbers, deep nesting, huge arrays, splices of
// valid pieces, unknown and prototype-ish keys). Every input must parse or be refused with a
// ManifestError (code bad_manifest) naming a field; nothing else may be thrown.
// FUZZ_INPUTS sets the count (default 10^4; test/p2p/fuzz.heavy.test.ts runs 10^5).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { ManifestError, parseManifest } from './manifest.ts'
import { formatReport, fuzz, fuzzInputs, mutateJson, Rng } from '../../test/support/fuzz.ts'

const N = fuzzInputs(10_000)
const base = JSON.parse(readFileSync(new URL('../../subnets/default.json', import.meta.url), 'utf8')) as Record<string, unknown>
const hub = { ...base, model: { id: 'Xenova/distilgpt2', source: 'hub', integrity: null } }
const many = { ...base, validators: Array.from({ length: 5 }, () => (base.validators as unknown[])[0]) }
const pool = [base, hub, many]
const KEYS = ['netuid', 'name', 'task', 'model', 'id', 'source', 'remoteHost', 'integrity', 'files', 'size', 'sha256', 'chain', 'blockTimeMs', 'tempo', 'emissionPerBlock', 'maxAllowedUids', 'owner', 'hotkey', 'devSecret', 'validators', 'stake', 'hyperparams', 'validation', 'queryIntervalMs', 'responseTimeoutMs', 'maxNewTokens', 'scoreAlpha', 'latencyTargetMs', 'maxQueriesPerMinute', 'temperature', 'promptWords', 'logprobTolerance', 'choiceTolerance', 'texts', 'wordsPerText', 'minCosine', 'network', 'iceServers']

/** The field a ManifestError names, with indices and file names folded (validators[3].stake → validators[].stake). */
function fieldOf(err: ManifestError): string {
  const m = /^subnet manifest: (\S+)/.exec(err.message)
  return (m?.[1] ?? '?').replace(/\[\d+\]/g, '[]').replace(/\["[^"]*"\]/g, '[file]')
}

test(`manifests: ${N} mutated JSON values parse or are refused with a ManifestError naming the field`, async () => {
  const rng = new Rng(0x3a11)
  const report = await fuzz(
    'manifest (parseManifest)',
    N,
    (i) => mutateJson(rng, pool[i % pool.length], pool, { keys: KEYS }),
    (x) => {
      const m = parseManifest(x)
      // Whatever parses is typed as promised.
      assert.ok(Number.isInteger(m.netuid) && m.validators.length > 0 && (m.task.name === 'text-generation' || m.task.name === 'embedding') && m.validation.latencyTargetMs < m.validation.responseTimeoutMs)
      return 'accepted'
    },
    (err) => (err instanceof ManifestError && err.code === 'bad_manifest' ? fieldOf(err) : undefined),
  )
  console.log(formatReport(report))
  assert.deepEqual(report.crashes, [])
  assert.equal(report.crashCount, 0)
  assert.ok(report.accepted > 0 && Object.keys(report.rejected).length > 10)
})
