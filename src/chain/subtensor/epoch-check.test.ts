/**
 * The pure re-derivation of a subtensor epoch, on state recorded from subtensor's raonet runtime
 * (spec 218, under chopsticks; test/chain/subtensor-verify.test.ts runs the same live): subnet 2's
 * inputs as stored at block 17 and what the runtime stored at block 18.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { blockEmissionForIssuance, compareEpoch, expectedMock, expectedYuma, raonetCoinbase, type EpochInputs, type StoredEpoch } from './epoch-check.ts'

const RECORDED = {"netuid": 2, "block": 18, "n": 5, "hotkeys": ["5D1yem1t1KxXN7MseFeRQkFHoa9gNUVtQTq6byJSt3CUEGz1", "5E1t2tAXYb1L3aYNpJ2YCgo1zWXCGSEaC8YttSxwpKjkZmcJ", "5FseTP7utS8u4nqjnV28KjHk8iENzp4di1wGJMQjqf2L4qV4", "5G738QGCDCVQnJuDVivc6FLsp1jtTtdRwVsMgZAXnudiKep1", "5DsmjqqQWFsvaT2eio3rYe1C3NfRy2owAAU6SivdLHyRPEMw"], "alphaStake": ["302929288", "500830016021", "0", "0", "0"], "taoStake": ["0", "0", "0", "0", "0"], "taoWeight": "3320413933267719290", "validatorPermit": [true, true, true, true, true], "lastUpdate": [5, 11, 12, 13, 14], "blockAtRegistration": [5, 11, 12, 13, 14], "weights": [[], [], [], [], []], "bonds": [[], [], [], [], []], "ownerUid": 0, "lastMechanismStepBlock": 17, "childKeys": false, "hyperparams": {"tempo": 10, "kappa": 32767, "rho": 10, "bondsMovingAverage": 990000, "activityCutoff": 5000, "liquidAlpha": false, "alphaLow": 45875, "alphaHigh": 58982, "maxAllowedValidators": 64, "maxWeightsLimit": 65535, "commitReveal": false}, "coinbase": {"totalIssuance": "0", "subnets": [{"netuid": 0, "mechanism": 0, "subnetTao": "0"}, {"netuid": 1, "mechanism": 1, "subnetTao": "15162570204"}, {"netuid": 2, "mechanism": 1, "subnetTao": "2015837429782"}], "subnetAlphaIn": "506882884179", "subnetAlphaOut": "504818217726", "pendingEmission": "0", "subnetOwnerCut": 5898, "ownerPaid": true}}
const STORED: StoredEpoch = {"incentive": [0, 0, 0, 0, 0], "dividends": [0, 0, 0, 0, 0], "consensus": [0, 0, 0, 0, 0], "trust": [0, 0, 0, 0, 0], "rank": [0, 0, 0, 0, 0], "validatorTrust": [0, 0, 0, 0, 0], "emission": ["504763", "682385470", "0", "0", "0"], "validatorPermit": [true, true, true, true, true], "active": [true, true, true, true, true], "stakeWeight": [48, 65486, 0, 0, 0], "pruningScores": [48, 65486, 0, 0, 0], "bonds": [[], [], [], [], []]}

/** The recorded inputs with rao amounts as bigints. */
function inputs(): EpochInputs {
  const r = structuredClone(RECORDED)
  return {
    ...r,
    alphaStake: r.alphaStake.map(BigInt),
    taoStake: r.taoStake.map(BigInt),
    taoWeight: BigInt(r.taoWeight),
    weights: r.weights as [number, number][][],
    bonds: r.bonds as [number, number][][],
    coinbase: {
      ...r.coinbase,
      totalIssuance: BigInt(r.coinbase.totalIssuance),
      subnets: r.coinbase.subnets.map((s) => ({ ...s, subnetTao: BigInt(s.subnetTao) })),
      subnetAlphaIn: BigInt(r.coinbase.subnetAlphaIn),
      subnetAlphaOut: BigInt(r.coinbase.subnetAlphaOut),
      pendingEmission: BigInt(r.coinbase.pendingEmission),
    },
  }
}

test('the recorded raonet block: coinbase + epoch_mock reproduce all 12 stored fields exactly', () => {
  const coin = raonetCoinbase(inputs())
  assert.equal(coin.alphaOut, 750426940n)
  assert.equal(coin.ownerCut, 67536706n)
  assert.equal(coin.remaining, 682890234n)
  const { differences, compared } = compareEpoch(expectedMock(coin.inputs, coin.remaining), STORED)
  assert.deepEqual(differences, [])
  assert.equal(compared.length, 12)
})

test('leaving out what the runtime does is caught: the owner cut staked first, and the alpha-out formula of the committed source', () => {
  const i = inputs()
  i.coinbase.ownerPaid = false
  const coin = raonetCoinbase(i)
  const { differences } = compareEpoch(expectedMock(coin.inputs, coin.remaining), STORED)
  assert.ok(differences.some((d) => d.field === 'stakeWeight' && d.uid === 0 && d.chain === '48'), JSON.stringify(differences))
  // Twice the alpha emission (the source at c39109d32) would pay 1592892522 rao, not 682890234.
  const twice = expectedMock(raonetCoinbase(inputs()).inputs, 1592892522n)
  assert.ok(compareEpoch(twice, STORED).differences.some((d) => d.field === 'emission' && d.uid === 1 && d.chain === '"682385470"'))
})

test('Yuma on the same inputs stores other values than this runtime: each is named', () => {
  const i = inputs()
  i.weights[1] = [[2, 65535], [3, 32768]]
  // Set after the miners registered (blocks 12, 13): Yuma masks weights older than the target's registration.
  i.lastUpdate[1] = 17
  const coin = raonetCoinbase(i)
  const { output, expected } = expectedYuma(coin.inputs, coin.remaining)
  assert.ok(output.u16.incentive[2]! > output.u16.incentive[3]! && output.u16.incentive[3]! > 0)
  const { differences } = compareEpoch(expected, STORED)
  assert.ok(differences.some((d) => d.field === 'incentive' && d.uid === 2 && d.chain === '0'))
  assert.ok(!('trust' in expected.values), 'epoch_mechanism stores no Trust')
})

test('block emission halves as issuance passes each half of what is left of 21M TAO', () => {
  assert.equal(blockEmissionForIssuance(0n), 1_000_000_000n)
  assert.equal(blockEmissionForIssuance(10_499_999_000_000_000n), 1_000_000_000n)
  assert.equal(blockEmissionForIssuance(10_500_000_000_000_000n), 500_000_000n)
  assert.equal(blockEmissionForIssuance(15_750_000_000_000_000n), 250_000_000n)
  assert.equal(blockEmissionForIssuance(21_000_000_000_000_000n), 0n)
})

test('a vector of another length is one difference with uid null; absent and empty bond rows are the same', () => {
  const stored = structuredClone(STORED)
  stored.emission = stored.emission.slice(0, 4)
  stored.bonds = []
  const coin = raonetCoinbase(inputs())
  const { differences } = compareEpoch(expectedMock(coin.inputs, coin.remaining), stored)
  assert.deepEqual(differences, [{ field: 'emission', uid: null, chain: '4 values', ours: '5 values' }])
})
