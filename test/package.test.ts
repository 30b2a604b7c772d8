// The package as web developers get it: `npm pack` (which builds the app and the library first)
// ships the CLI, the prebuilt app and the library with types, and no tests, benches or state; a
// scratch project with the tarball unpacked in node_modules imports `webtensor`, type-checks
// against its .d.ts, and runs `webtensor start` from it without Vite (the prebuilt app is used).
// The scratch project links the dependencies this checkout installed (npm's own resolution of the
// tarball's dependencies is not what this test checks).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli } from './support/cli.ts'

const ROOT = new URL('..', import.meta.url).pathname
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }

test('npm pack ships the CLI, the prebuilt app and the typed library, and a scratch project uses it', { timeout: 600_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'wt-pack-'))
  const pack = spawnSync('npm', ['pack', '--pack-destination', out, '--json'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  assert.equal(pack.status, 0, pack.stderr)
  const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[]
  const files = info!.files.map((f) => f.path)
  for (const wanted of ['bin/webtensor.js', 'src/cli/main.ts', 'dist/index.html', 'dist/dashboard.html', 'dist/device.html', 'dashboard.html', 'device.html', 'dist/widget.js', 'dist/lib/client/index.js', 'dist/lib/client/index.d.ts', 'subnets/default.json', 'stubs/react-native-webrtc/package.json', 'README.md']) {
    assert.ok(files.includes(wanted), `the tarball has ${wanted}`)
  }
  const unwanted = files.filter((f) => /\.test\.ts$/.test(f) || /^(test|bench|scripts|models|\.webtensor|node_modules)\//.test(f) || /(^|\/)\.git/.test(f))
  assert.deepEqual(unwanted, [], 'no tests, benches, scripts, models or state in the tarball')
  console.log(`tarball: ${files.length} files`)

  // A scratch project: the tarball unpacked as node_modules/webtensor, the runtime dependencies linked.
  const scratch = mkdtempSync(join(tmpdir(), 'wt-scratch-'))
  const modules = join(scratch, 'node_modules')
  mkdirSync(join(modules, 'webtensor'), { recursive: true })
  const untar = spawnSync('tar', ['-xzf', join(out, info!.filename), '-C', join(modules, 'webtensor'), '--strip-components=1'])
  assert.equal(untar.status, 0, String(untar.stderr))
  const dev = new Set(Object.keys(pkg.devDependencies).filter((d) => d !== '@types/node'))
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name.startsWith('.') || name === 'webtensor') continue
    if (name.startsWith('@')) {
      mkdirSync(join(modules, name), { recursive: true })
      for (const sub of readdirSync(join(ROOT, 'node_modules', name))) if (!dev.has(`${name}/${sub}`)) symlinkSync(join(ROOT, 'node_modules', name, sub), join(modules, name, sub))
    } else if (!dev.has(name)) symlinkSync(join(ROOT, 'node_modules', name), join(modules, name))
  }

  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', type: 'module', private: true }))
  writeFileSync(join(scratch, 'use.mjs'), "import { connect, verifyAnswer, ClientError } from 'webtensor'\nconsole.log(typeof connect, typeof verifyAnswer, new ClientError('x', { code: 'no_answer' }).code)\n")
  const use = spawnSync(process.execPath, ['use.mjs'], { cwd: scratch, encoding: 'utf8' })
  assert.equal(use.status, 0, use.stderr)
  assert.equal(use.stdout.trim(), 'function function no_answer')

  // Its types: a TypeScript user gets Network, AskAnswer and checked calls.
  writeFileSync(
    join(scratch, 'use.ts'),
    "import { connect, type AskAnswer, type Network } from 'webtensor'\nconst network: Network = await connect({ server: 'http://127.0.0.1:8080' })\nfor await (const a of network.ask('hi', { miners: 2 })) { const x: AskAnswer = a; console.log(x.uid.toFixed(0), x.text.toUpperCase()) }\n// @ts-expect-error: a prompt is a string\nnetwork.ask(42)\n",
  )
  writeFileSync(join(scratch, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['use.ts'] }))
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', scratch], { encoding: 'utf8' })
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr)

  // The CLI from the installed package, with no Vite to build the app: it serves the prebuilt one.
  const start = runCli(['start', '--port', '0', '--relay-port', '0', '--state', mkdtempSync(join(tmpdir(), 'wt-scratch-state-'))], { bin: join(modules, 'webtensor', 'bin', 'webtensor.js') })
  try {
    await start.waitFor(/using the prebuilt web app/, 120_000)
    const [, url] = await start.waitFor(/open (http:\/\/\S+) to mine/, 240_000)
    const page = await fetch(url!)
    assert.equal(page.status, 200)
    assert.match(await page.text(), /<script type="module"/)
  } finally {
    assert.equal(await start.stop(), 0)
  }
  // Starting did not rebuild or empty the package's dist/: the library is still importable.
  assert.ok(existsSync(join(modules, 'webtensor', 'dist', 'lib', 'client', 'index.js')), 'dist/lib survived `webtensor start`')
})
