/**
 * Small, realistic repos for `npm run demo` and tests. Everything is derived from fixed seeds, so every run
 * serves byte-identical files with identical hashes and commit shas.
 */
import { buildSafetensors, seededBytes, type TensorSpec } from './safetensors';
import type { FakeRepo } from './types';

export const DEMO_ORG = 'mistudio-demo';

const GPT2_EMBD = 64;
const GPT2_LAYERS = 2;
const GPT2_VOCAB = 512;
const GPT2_POSITIONS = 128;
const GPT2_INNER = 4 * GPT2_EMBD;

/** The tensors of mistudio-demo/tiny-gpt2: GPT-2 layout, norms and biases in F32, matrices in BF16. */
export function tinyGpt2Tensors(): TensorSpec[] {
  const e = GPT2_EMBD;
  const tensors: TensorSpec[] = [
    { name: 'wte.weight', dtype: 'F32', shape: [GPT2_VOCAB, e] },
    { name: 'wpe.weight', dtype: 'F32', shape: [GPT2_POSITIONS, e] },
  ];
  for (let i = 0; i < GPT2_LAYERS; i++) {
    const h = `h.${i}`;
    tensors.push(
      { name: `${h}.ln_1.weight`, dtype: 'F32', shape: [e] },
      { name: `${h}.ln_1.bias`, dtype: 'F32', shape: [e] },
      { name: `${h}.attn.c_attn.weight`, dtype: 'BF16', shape: [e, 3 * e] },
      { name: `${h}.attn.c_attn.bias`, dtype: 'F32', shape: [3 * e] },
      { name: `${h}.attn.c_proj.weight`, dtype: 'BF16', shape: [e, e] },
      { name: `${h}.attn.c_proj.bias`, dtype: 'F32', shape: [e] },
      { name: `${h}.ln_2.weight`, dtype: 'F32', shape: [e] },
      { name: `${h}.ln_2.bias`, dtype: 'F32', shape: [e] },
      { name: `${h}.mlp.c_fc.weight`, dtype: 'BF16', shape: [e, GPT2_INNER] },
      { name: `${h}.mlp.c_fc.bias`, dtype: 'F32', shape: [GPT2_INNER] },
      { name: `${h}.mlp.c_proj.weight`, dtype: 'BF16', shape: [GPT2_INNER, e] },
      { name: `${h}.mlp.c_proj.bias`, dtype: 'F32', shape: [e] },
    );
  }
  tensors.push({ name: 'ln_f.weight', dtype: 'F32', shape: [e] }, { name: 'ln_f.bias', dtype: 'F32', shape: [e] });
  return tensors;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

const GITATTRIBUTES = [
  '*.bin filter=lfs diff=lfs merge=lfs -text',
  '*.parquet filter=lfs diff=lfs merge=lfs -text',
  '*.pt filter=lfs diff=lfs merge=lfs -text',
  '*.safetensors filter=lfs diff=lfs merge=lfs -text',
  'tokenizer.json filter=lfs diff=lfs merge=lfs -text',
  '',
].join('\n');

function tinyTokenizer(): string {
  const vocab: Record<string, number> = {};
  for (let i = 0; i < GPT2_VOCAB; i++) vocab[i < 256 ? `<0x${i.toString(16).padStart(2, '0').toUpperCase()}>` : `tok${i}`] = i;
  return json({
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: GPT2_VOCAB - 1, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, vocab, merges: [] },
  });
}

function tinyGpt2(): FakeRepo {
  const config = {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    n_layer: GPT2_LAYERS,
    n_embd: GPT2_EMBD,
    n_head: 4,
    n_positions: GPT2_POSITIONS,
    n_inner: null,
    vocab_size: GPT2_VOCAB,
    activation_function: 'gelu_new',
    bos_token_id: GPT2_VOCAB - 1,
    eos_token_id: GPT2_VOCAB - 1,
    torch_dtype: 'bfloat16',
    transformers_version: '4.44.0',
  };
  const readme = [
    '---',
    'license: mit',
    'language:',
    '- en',
    'library_name: transformers',
    'pipeline_tag: text-generation',
    'tags:',
    '- gpt2',
    '- tiny',
    '---',
    '# tiny-gpt2',
    '',
    'A two-layer GPT-2 with random weights, for testing download tools.',
    '',
  ].join('\n');
  return {
    kind: 'model',
    id: `${DEMO_ORG}/tiny-gpt2`,
    info: { downloads: 12_345, likes: 67, pipelineTag: 'text-generation', tags: ['transformers', 'safetensors', 'gpt2', 'text-generation', 'license:mit', 'region:us'], lastModified: '2024-06-01T09:30:00.000Z' },
    commits: [
      {
        refs: ['main'],
        files: [
          { path: '.gitattributes', content: GITATTRIBUTES },
          { path: 'README.md', content: readme },
          { path: 'config.json', content: json(config) },
          { path: 'generation_config.json', content: json({ bos_token_id: GPT2_VOCAB - 1, eos_token_id: GPT2_VOCAB - 1, transformers_version: '4.44.0' }) },
          { path: 'model.safetensors', content: buildSafetensors(tinyGpt2Tensors(), { format: 'pt' }, 2) },
          { path: 'tokenizer.json', content: tinyTokenizer(), lfs: true },
          { path: 'tokenizer/vocab.txt', content: Array.from({ length: 64 }, (_, i) => `tok${i}`).join('\n') + '\n' },
          { path: 'special tokens map.json', content: json({ bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>' }) },
        ],
      },
    ],
  };
}

/** Two revisions (tag v1.0 and main) that share the weights blob; only the config and the card change. */
function tinySae(): FakeRepo {
  const weights = buildSafetensors(
    [
      { name: 'W_enc', dtype: 'F32', shape: [64, 256] },
      { name: 'b_enc', dtype: 'F32', shape: [256] },
      { name: 'W_dec', dtype: 'F32', shape: [256, 64] },
      { name: 'b_dec', dtype: 'F32', shape: [64] },
    ],
    {},
    3,
  );
  const card = (version: string): string => `---\nlicense: apache-2.0\ntags:\n- sae\n- saelens\n---\n# tiny-sae ${version}\n`;
  const cfg = (l1: number): string => json({ d_in: 64, d_sae: 256, hook_name: 'blocks.0.hook_resid_pre', model_name: 'tiny-gpt2', l1_coefficient: l1 });
  return {
    kind: 'model',
    id: `${DEMO_ORG}/tiny-sae`,
    info: { downloads: 321, likes: 9, tags: ['saelens', 'sae', 'license:apache-2.0'], lastModified: '2024-07-15T08:00:00.000Z' },
    commits: [
      { refs: ['v1.0'], files: [{ path: 'README.md', content: card('v1.0') }, { path: 'cfg.json', content: cfg(5) }, { path: 'sae_weights.safetensors', content: weights }] },
      {
        refs: ['main'],
        files: [
          { path: 'README.md', content: card('v1.1') },
          { path: 'cfg.json', content: cfg(8) },
          { path: 'sae_weights.safetensors', content: weights },
          { path: 'sparsity.safetensors', content: buildSafetensors([{ name: 'sparsity', dtype: 'F32', shape: [256] }], {}, 4) },
        ],
      },
    ],
  };
}

function gatedModel(): FakeRepo {
  return {
    kind: 'model',
    id: `${DEMO_ORG}/gated-model`,
    gated: 'manual',
    info: { downloads: 999, likes: 42, pipelineTag: 'text-generation', license: 'llama3.1', lastModified: '2024-08-01T00:00:00.000Z' },
    commits: [
      {
        files: [
          { path: 'README.md', content: '---\nlicense: llama3.1\nextra_gated_prompt: You agree to the license.\n---\n# gated-model\n' },
          { path: 'config.json', content: json({ architectures: ['LlamaForCausalLM'], model_type: 'llama', num_hidden_layers: 2, hidden_size: 32 }) },
          { path: 'model.safetensors', content: buildSafetensors([{ name: 'model.embed_tokens.weight', dtype: 'BF16', shape: [128, 32] }], {}, 5) },
        ],
      },
    ],
  };
}

/** Fake parquet: the right magic bytes around deterministic filler (nothing in the tool parses it). */
function fakeParquet(size: number, seed: number): Buffer {
  const magic = Buffer.from('PAR1');
  return Buffer.concat([magic, seededBytes(size - 8, seed), magic]);
}

function tinyStories(): FakeRepo {
  const readme = [
    '---',
    'license: cdla-sharing-1.0',
    'language:',
    '- en',
    'task_categories:',
    '- text-generation',
    'pretty_name: Tiny Stories (demo)',
    'configs:',
    '- config_name: default',
    '  data_files:',
    '  - split: train',
    '    path: data/train-*',
    '  - split: test',
    '    path: data/test-*',
    '---',
    '# tiny-stories',
    '',
    'Short synthetic stories.',
    '',
  ].join('\n');
  return {
    kind: 'dataset',
    id: `${DEMO_ORG}/tiny-stories`,
    info: { downloads: 4_321, likes: 21, tags: ['task_categories:text-generation', 'language:en', 'license:cdla-sharing-1.0'], lastModified: '2024-05-20T10:00:00.000Z' },
    commits: [
      {
        files: [
          { path: '.gitattributes', content: GITATTRIBUTES },
          { path: 'README.md', content: readme },
          { path: 'data/train-00000-of-00001.parquet', content: fakeParquet(48 * 1024, 11) },
          { path: 'data/test-00000-of-00001.parquet', content: fakeParquet(12 * 1024, 12) },
        ],
      },
    ],
  };
}

/** Two configs laid out as {config}/{split}-xxxxx-of-xxxxx.parquet, with no `configs:` in the card. */
function tinyGlue(): FakeRepo {
  return {
    kind: 'dataset',
    id: `${DEMO_ORG}/tiny-glue`,
    info: { downloads: 777, likes: 5, license: 'cc-by-4.0', lastModified: '2024-04-02T00:00:00.000Z' },
    commits: [
      {
        files: [
          { path: 'README.md', content: '---\nlicense: cc-by-4.0\n---\n# tiny-glue\n' },
          { path: 'sst2/train-00000-of-00001.parquet', content: fakeParquet(16 * 1024, 21) },
          { path: 'sst2/validation-00000-of-00001.parquet', content: fakeParquet(4 * 1024, 22) },
          { path: 'cola/train-00000-of-00001.parquet', content: fakeParquet(8 * 1024, 23) },
          { path: 'cola/validation-00000-of-00001.parquet', content: fakeParquet(2 * 1024, 24) },
          { path: 'cola/test-00000-of-00001.parquet', content: fakeParquet(2 * 1024, 25) },
        ],
      },
    ],
  };
}

export function demoRepos(): FakeRepo[] {
  return [tinyGpt2(), tinySae(), gatedModel(), tinyStories(), tinyGlue()];
}
