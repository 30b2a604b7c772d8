import { WebtensorError } from '../../errors.ts'

/** Bad epoch input: `field` names the offending field (e.g. `weights[3][1]`). */
export class YumaInputError extends WebtensorError {
  override name = 'YumaInputError'
  readonly field: string
  /** The message without the field prefix. */
  readonly detail: string
  constructor(field: string, detail: string) {
    super(`${field}: ${detail}`, { code: 'yuma_bad_input' })
    this.field = field
    this.detail = detail
  }
}
