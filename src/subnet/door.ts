/**
 * The subnet's roles, checked at the mesh's door (before any signature is verified): chain state
 * (`metagraph`, `epoch`) comes only from the subnet owner — a rule every honest peer applies the
 * same way, so a violation is rejected and costs the sender gossipsub score; `weights`, `commit`
 * and `reveal` come only from hotkeys with a validator permit in the latest metagraph — permits
 * change and peers may see them a block apart, so a violation is ignored, not penalised;
 * `register` comes from anyone (the chain checks its proof of work).
 */
import type { Authorize, MessageKind } from '../p2p/index.ts'

/** Kinds only a validator with a permit may send: set_weights and its commit-reveal form. */
const PERMIT_KINDS: ReadonlySet<MessageKind> = new Set<MessageKind>(['weights', 'commit', 'reveal'])

export interface PermitView {
  /** Whether `hotkey` holds a validator permit; undefined while no metagraph is known. */
  hasPermit(hotkey: string): boolean | undefined
}

/** @example createMesh({ ..., authorize: subnetAuthorize(manifest.owner.hotkey, () => chain) }) */
export function subnetAuthorize(ownerHotkey: string, permits: () => PermitView | undefined): Authorize {
  return (kind, hotkey) => {
    if ((kind === 'metagraph' || kind === 'epoch') && hotkey !== ownerHotkey) {
      return { reason: 'wrong_role', detail: `${kind} from ${hotkey}, not the subnet owner`, action: 'reject' }
    }
    if (PERMIT_KINDS.has(kind) && hotkey !== ownerHotkey && permits()?.hasPermit(hotkey) === false) {
      return { reason: 'no_permit', detail: `${kind} from ${hotkey}, which holds no validator permit`, action: 'ignore' }
    }
    return null
  }
}

/** A PermitView over a metagraph's neurons. */
export function permitsOf(metagraph: { neurons: readonly { hotkey: string; validatorPermit: boolean }[] } | null): PermitView {
  const permitted = new Set(metagraph?.neurons.filter((n) => n.validatorPermit).map((n) => n.hotkey))
  return { hasPermit: (hotkey) => (metagraph === null ? undefined : permitted.has(hotkey)) }
}
