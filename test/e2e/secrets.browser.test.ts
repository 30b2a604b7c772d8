// The page's hotkey secret and its DOM, in Chromium against `webtensor relay`:
// - a plain secret an older page left in localStorage is migrated: afterwards neither
//   localStorage nor IndexedDB holds the mnemonic (or two consecutive words of it, or its seed);
// - a reload keeps the hotkey; export shows the secret only after a confirmation; a bad import is
//   refused and the old hotkey kept (a doctored btcli hotkey file too); a picked btcli hotkey file
//   is offered with its address; a good import replaces it;
// - a metagraph signed with the owner's key (the default subnet's dev key is public) carrying
//   hostile hotkeys renders them as text;
// - nothing the page logs contains secret material.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { u8aToHex } from '@polkadot/util'
import { mnemonicToMiniSecret } from '@polkadot/util-crypto'
import { readManifest } from '../../src/cli/stack.ts'
import { DEFAULT_MANIFEST } from '../../src/cli/paths.ts'
import { HOTKEY_KEY, hotkeyFromSecret } from '../../src/identity/identity.ts'
import { keyfileJson } from '../../src/identity/keyfile.ts'
import { createMesh, type Mesh } from '../../src/p2p/index.ts'
import { launchChromium } from '../support/browser.ts'
import { runCli } from '../support/cli.ts'

const MNEMONIC = 'legal winner thank year wave sausage worth useful legal winner thank yellow'
const IMPORTED = '//ImportedInTheTest'
/** Breaks out of a double-quoted attribute, then of any element. */
const HOSTILE = ['"><img src=x onerror="window.__pwned=1">', '<script>window.__pwned=2</script>']

/** Every string in localStorage and IndexedDB; bytes as Latin-1 and as UTF-8, CryptoKeys by their public fields. */
const DUMP_STORAGE = `(async () => {
  const out = []
  for (let i = 0; i < localStorage.length; i++) out.push(localStorage.key(i) + '=' + localStorage.getItem(localStorage.key(i)))
  const text = (v) => {
    if (v === null || v === undefined) return String(v)
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v)
    if (v instanceof CryptoKey) return 'CryptoKey ' + v.type + ' extractable=' + v.extractable
    if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
      const bytes = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
      return String.fromCharCode(...bytes) + ' ' + new TextDecoder().decode(bytes)
    }
    return Object.entries(v).map(([k, x]) => k + ':' + text(x)).join(' ')
  }
  for (const { name } of await indexedDB.databases()) {
    const db = await new Promise((res, rej) => { const r = indexedDB.open(name); r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error) })
    for (const store of Array.from(db.objectStoreNames)) {
      const all = await new Promise((res, rej) => { const r = db.transaction(store).objectStore(store).getAll(); r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error) })
      for (const v of all) out.push(name + '/' + store + ': ' + text(v))
    }
    db.close()
  }
  return out.join('\\n')
})()`

/** The secret, each pair of consecutive words, and the seed (mini secret) in hex. */
function secretMaterial(secret: string): string[] {
  const words = secret.split(' ')
  if (words.length < 12) return [secret]
  const seed = u8aToHex(mnemonicToMiniSecret(secret))
  return [secret, ...words.slice(1).map((w, i) => `${words[i]} ${w}`), seed, seed.slice(2)]
}

function assertNoSecret(text: string, secrets: string[], what: string): void {
  assert.deepEqual(secrets.filter((s) => text.includes(s)), [], `${what} holds secret material`)
}

async function startAndReadHotkey(page: Page): Promise<string> {
  await page.getByTestId('start').click()
  await page.waitForFunction(() => document.querySelector('[data-testid="hotkey"]')?.textContent?.startsWith('5'), null, { timeout: 30_000 })
  return page.getByTestId('hotkey').innerText()
}

const pageText = (page: Page): Promise<string> => page.evaluate(() => document.documentElement.outerHTML + document.body.innerText)

test('the page keeps its hotkey encrypted, exports and imports it behind confirmations, and shows network strings as text', { timeout: 300_000 }, async () => {
  const manifest = readManifest(DEFAULT_MANIFEST)
  const relay = runCli(['relay', '--host', '127.0.0.1', '--port', '0', '--relay-port', '0', '--state', mkdtempSync(join(tmpdir(), 'wt-page-secrets-'))])
  const browser = await launchChromium({ webgpu: false })
  const consoleLines: string[] = []
  let owner: Mesh | undefined
  try {
    const [, url] = await relay.waitFor(/open (http:\/\/\S+) to mine/, 240_000)
    const page = await browser.newPage()
    page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`))
    page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`))
    const expected = (await hotkeyFromSecret(MNEMONIC)).address

    // An older page kept the mnemonic in plain localStorage.
    await page.goto(url!)
    await page.evaluate(([k, v]) => localStorage.setItem(k!, v!), [HOTKEY_KEY, MNEMONIC])
    await page.reload()
    assert.equal(await startAndReadHotkey(page), expected, 'the migrated hotkey is the old one')
    const stored = (await page.evaluate(DUMP_STORAGE)) as string
    assertNoSecret(stored, secretMaterial(MNEMONIC), 'storage after the migration')
    assert.match(stored, /webtensor-secrets\/keys: CryptoKey secret extractable=false/)
    assert.match(stored, /webtensor-secrets\/secrets: v:1 iv:/)
    assert.equal(await page.evaluate((k) => localStorage.getItem(k), HOTKEY_KEY), null)

    // A metagraph with hostile hotkeys, signed with the owner's (public, dev) key, shows as text.
    const ownerKey = await hotkeyFromSecret(manifest.owner.devSecret!)
    const config = (await (await fetch(new URL('/api/config', url))).json()) as { relay: string[] }
    owner = await createMesh({ netuid: manifest.netuid, signer: ownerKey, bootstrap: config.relay, listen: ['/ip4/127.0.0.1/tcp/0/ws'], allowPrivateAddresses: true })
    await owner.start()
    const neurons = HOSTILE.map((hotkey, i) => ({ uid: i + 1, hotkey, stake: '1000000000', registeredAt: 0, validatorPermit: false, lastUpdate: 0 }))
    const deadline = Date.now() + 120_000
    for (let block = 1; (await page.locator('[data-testid="metagraph"] tr').count()) < HOSTILE.length; block++) {
      assert.ok(Date.now() < deadline, 'the page never showed the metagraph')
      const zero = `0x${'0'.repeat(64)}`
      await owner.publish('metagraph', { block, epoch: 0, tempo: 10, neurons, chain: { genesis: zero, session: 'secrets-test', head: 0, headHash: zero }, blockHash: zero, difficulty: '0' }).catch(() => undefined)
      await page.waitForTimeout(1000)
    }
    const rendered = await page.evaluate(() => {
      const rows = [...document.querySelectorAll<HTMLTableRowElement>('[data-testid="metagraph"] tr')]
      return {
        pwned: (globalThis as { __pwned?: unknown }).__pwned ?? null,
        elements: document.querySelectorAll('[data-testid="metagraph"] img, [data-testid="metagraph"] script').length,
        hotkeys: rows.map((r) => r.dataset.hotkey),
        cells: rows.map((r) => r.cells[1]?.textContent),
        cellsPerRow: rows.map((r) => r.cells.length),
      }
    })
    assert.deepEqual(rendered, {
      pwned: null,
      elements: 0,
      hotkeys: HOSTILE,
      cells: HOSTILE.map((h) => `${h.slice(0, 8)}…${h.slice(-6)}`),
      cellsPerRow: [6, 6],
    })
    await owner.stop()
    owner = undefined

    // A reload keeps the hotkey.
    await page.reload()
    assert.equal(await startAndReadHotkey(page), expected)

    // Export: nothing is shown until the user confirms, and hiding removes it from the page.
    await page.reload()
    await page.getByTestId('export').click()
    await page.getByTestId('export-confirm').waitFor()
    assertNoSecret(await pageText(page), secretMaterial(MNEMONIC), 'the page before confirming the export')
    await page.getByTestId('export-cancel').click()
    assert.equal(await page.getByTestId('export-shown').isVisible(), false)
    assertNoSecret(await pageText(page), secretMaterial(MNEMONIC), 'the page after cancelling the export')
    await page.getByTestId('export').click()
    await page.getByTestId('export-confirm').click()
    await page.getByTestId('export-secret').waitFor()
    assert.equal(await page.getByTestId('export-secret').innerText(), MNEMONIC)
    await page.getByTestId('export-hide').click()
    assertNoSecret(await pageText(page), secretMaterial(MNEMONIC), 'the page after hiding the secret')

    // Import of bad secrets is refused before anything is written.
    // (the last: a btcli hotkey file whose key is not the address it states)
    const doctored = JSON.stringify({ ...(JSON.parse(keyfileJson(await hotkeyFromSecret('//Doctored'))) as object), ss58Address: '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY' })
    for (const bad of ['not a mnemonic at all', MNEMONIC.replace('yellow', 'wave'), '//Alice//', doctored]) {
      await page.getByTestId('import').click()
      await page.getByTestId('import-secret').fill(bad)
      await page.getByTestId('import-check').click()
      await page.waitForFunction(() => /Nothing was changed/.test(document.querySelector('[data-testid="keys-note"]')?.textContent ?? ''), null, { timeout: 10_000 })
      assert.equal(await page.getByTestId('import-confirm-panel').isVisible(), false, `no confirmation offered for ${JSON.stringify(bad)}`)
      await page.getByTestId('import-cancel').click()
    }
    // A btcli hotkey file picked from disk is read, checked and offered (declined here).
    const fromFile = await hotkeyFromSecret('//FromBtcliHotkeyFile')
    await page.getByTestId('import').click()
    await page.getByTestId('import-file').setInputFiles({ name: 'default', mimeType: 'application/octet-stream', buffer: Buffer.from(keyfileJson(fromFile)) })
    await page.getByTestId('import-confirm').waitFor()
    assert.equal(await page.getByTestId('import-question').innerText(), `Replace hotkey ${expected} with ${fromFile.address}? The current hotkey is lost from this browser unless you exported its secret.`)
    await page.getByTestId('import-cancel').click()
    await page.reload()
    assert.equal(await startAndReadHotkey(page), expected, 'the old hotkey is kept after refused and declined imports')

    // A good import asks first, naming the hotkey it replaces, then replaces it.
    await page.reload()
    const importedAddress = (await hotkeyFromSecret(IMPORTED)).address
    await page.getByTestId('import').click()
    await page.getByTestId('import-secret').fill(IMPORTED)
    await page.getByTestId('import-check').click()
    await page.getByTestId('import-confirm').waitFor()
    assert.equal(await page.getByTestId('import-question').innerText(), `Replace hotkey ${expected} with ${importedAddress}? The current hotkey is lost from this browser unless you exported its secret.`)
    assert.equal(await page.getByTestId('hotkey').innerText(), '—', 'nothing replaced before the confirmation')
    await page.getByTestId('import-confirm').click()
    await page.waitForFunction((a) => document.querySelector('[data-testid="hotkey"]')?.textContent === a, importedAddress, { timeout: 10_000 })
    await page.reload()
    assert.equal(await startAndReadHotkey(page), importedAddress)
    assertNoSecret((await page.evaluate(DUMP_STORAGE)) as string, [IMPORTED, ...secretMaterial(MNEMONIC)], 'storage after the import')

    assertNoSecret(consoleLines.join('\n'), [IMPORTED, ...secretMaterial(MNEMONIC)], 'the page console')
  } catch (err) {
    console.error(`--- relay ---\n${relay.output().slice(-4000)}\n--- page console ---\n${consoleLines.slice(-60).join('\n')}`)
    throw err
  } finally {
    await owner?.stop()
    await browser.close()
    await relay.stop()
  }
})
