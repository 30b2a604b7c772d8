import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCliToEnd } from '../support/cli.ts'

interface Report {
  expectations: { kind: string; status: string; detail: string }[]
  runs: { series: { registrations: number[]; pruned: number[]; uids: Record<string, number[]>; delivery: number[] | null } }[]
  notes: string[]
}

test('exact mode runs faults-exact: Sybils register by PoW and are pruned, the relay restarts, the owner forges an epoch that verify names, the mesh splits and heals', { timeout: 600_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'simulate-faults-'))
  const r = await runCliToEnd(['simulate', 'faults-exact', '--out', dir], { timeoutMs: 540_000 })
  console.log(r.stdout)
  assert.equal(r.code, 0, r.stdout + r.stderr)
  assert.match(r.stdout, /^faults-exact \(exact mode\): 1 run\(s\) × 7 epochs/m)
  assert.match(r.stdout, /^PASS expectations\[0\] honest-miner's share of incentive ≥ 0\.9/m)
  assert.match(r.stdout, /^PASS expectations\[1\] each sybil-flood's incentive < 0\.02/m)
  assert.match(r.stdout, /^PASS expectations\[2\] every surviving peer has the same epoch digests/m)
  assert.match(r.stdout, /^PASS expectations\[3\] the log verifier refuses the owner's forged epoch at its entry/m)
  assert.match(r.stderr, /epoch 3: relay restarted on the same address and key/)
  assert.match(r.stderr, /epoch 4: partitioned into 2 groups \(\d+ links closed\)/)
  assert.match(r.stderr, /epoch 5: partition healed/)

  const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as Report
  const s = report.runs[0]!.series
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)
  // The flood really landed on the chain, and the full subnet pruned for it (Sybils, by lowest emission).
  assert.ok(sum(s.registrations.slice(2)) >= 2, `registrations ${JSON.stringify(s.registrations)}`)
  assert.ok(Math.max(...s.uids['sybil-flood']!) >= 1, `Sybil uids ${JSON.stringify(s.uids['sybil-flood'])}`)
  assert.ok(sum(s.pruned) >= 1, `pruned ${JSON.stringify(s.pruned)}`)
  // (An honest peer that earned nothing in an epoch may be pruned too, by the same rule: not asserted.)
  assert.ok(report.notes.some((n) => /^partition at epoch 4 into 2 groups for 1 epoch\(s\).*answered: [\d.]+ during it, [\d.]+ outside it/.test(n)), report.notes.join('\n'))

  // `webtensor verify` names the forged entry in the owner's log.
  const forged = /forged epoch (\d+) at log entry (\d+) of (\S+): the log verifier stops there/.exec(r.stderr)
  assert.ok(forged !== null, r.stderr)
  const verify = await runCliToEnd(['verify', forged[3]!])
  assert.equal(verify.code, 1, verify.stdout + verify.stderr)
  assert.match(verify.stdout, new RegExp(`^TAMPERED at entry ${forged[2]} \\(wrong_epoch\\): epoch ${forged[1]}: the logged result`, 'm'))
})
