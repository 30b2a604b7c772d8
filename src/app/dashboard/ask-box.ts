/**
 * "Ask the network" on the dashboard: a prompt box whose answers come from the best-paid miners
 * (`network.ask`), each shown with the miner that signed it. The client (and its mesh) loads only
 * on the first ask. Everything from the network goes in as textContent.
 */
import type { Network } from '../../client/index.ts'

/** Wires the form in `root` (`[data-testid=ask-form]`…) to a lazily connected network on `origin`. */
export function mountAskBox(root: HTMLElement, origin: string): void {
  const form = root.querySelector<HTMLFormElement>('[data-testid="ask-form"]')!
  const prompt = root.querySelector<HTMLTextAreaElement>('[data-testid="ask-prompt"]')!
  const count = root.querySelector<HTMLInputElement>('[data-testid="ask-miners"]')!
  const button = root.querySelector<HTMLButtonElement>('[data-testid="ask-button"]')!
  const status = root.querySelector<HTMLElement>('[data-testid="ask-status"]')!
  const list = root.querySelector<HTMLOListElement>('[data-testid="ask-answers"]')!
  let network: Promise<Network> | null = null
  const connectOnce = (): Promise<Network> =>
    (network ??= import('../../client/index.ts').then(async ({ connect }) => {
      const n = await connect({ server: origin })
      await n.ready({ miners: 1, timeoutMs: 60_000 })
      return n
    })).catch((err: unknown) => {
      network = null // the next ask tries again
      throw err
    })

  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const text = prompt.value.trim()
    if (text === '') {
      status.textContent = 'Type a prompt first.'
      return
    }
    button.disabled = true
    list.replaceChildren()
    status.textContent = 'Joining the mesh with a throwaway key and finding miners…'
    void (async () => {
      const n = await connectOnce()
      status.textContent = 'Asking the miners with the highest incentive…'
      let answers = 0
      for await (const a of n.ask(text, { miners: Math.max(1, Math.min(8, Number(count.value) || 3)), onError: (err, m) => addLine(list, `uid ${m.uid}: no answer (${err.message})`, 'ask-dropped') })) {
        answers++
        const item = addLine(list, `uid ${a.uid} · ${a.hotkey.slice(0, 8)}… · incentive ${a.incentive.toFixed(3)} · ${a.latencyMs} ms · signed`, 'ask-answer')
        item.dataset.uid = String(a.uid)
        const body = document.createElement('p')
        body.textContent = a.text
        item.append(body)
      }
      status.textContent = `${answers} signed answer${answers === 1 ? '' : 's'}, each checked against the miner's registered hotkey.`
    })()
      .catch((err: unknown) => {
        status.textContent = `No answer: ${err instanceof Error ? err.message : String(err)}. Check that miners are running, then ask again.`
      })
      .finally(() => {
        button.disabled = false
      })
  })
}

function addLine(list: HTMLOListElement, text: string, kind: string): HTMLLIElement {
  const item = document.createElement('li')
  item.className = kind
  const head = document.createElement('span')
  head.textContent = text
  item.append(head)
  list.append(item)
  return item
}
