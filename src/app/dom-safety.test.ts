// The page's code never turns strings into markup: rows and messages are built with elements and
// textContent (index.html holds the static markup). This guards against a regression; the browser
// test (test/e2e/secrets.browser.test.ts) shows a hostile metagraph rendering as text.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const PAGE_CODE = ['src/app', 'src/app/dashboard', 'src/inference/test-page']
const HTML_SINKS = /\.(innerHTML|outerHTML)\s*[+]?=|\binsertAdjacentHTML\s*\(|\bdocument\.write(ln)?\s*\(|\bcreateContextualFragment\s*\(|\bsetHTMLUnsafe\s*\(/

test('page code has no HTML sinks (innerHTML, outerHTML, insertAdjacentHTML, document.write, …)', () => {
  const files = PAGE_CODE.flatMap((dir) => readdirSync(join(root, dir)).filter((f) => /\.ts$/.test(f) && !f.endsWith('.test.ts')).map((f) => join(dir, f)))
  for (const f of ['src/app/main.ts', 'src/app/metagraph-table.ts', 'src/app/dashboard/view.ts', 'src/app/dashboard/page.ts']) assert.ok(files.includes(f), `${f} is checked: ${files.join(' ')}`)
  const offending = files.filter((f) => HTML_SINKS.test(readFileSync(join(root, f), 'utf8')))
  assert.deepEqual(offending, [])
})

test('the pages\' HTML holds no inline script or handler (their code is in modules, filled in with textContent)', () => {
  for (const page of ['index.html', 'dashboard.html']) {
    const html = readFileSync(join(root, page), 'utf8')
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, `${page}: no inline script`)
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, `${page}: no inline event handler`)
  }
})
