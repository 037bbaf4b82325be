import * as fs from 'node:fs';
import * as path from 'node:path';
import { startFakeHub, type FakeFile, type FakeRepo } from '../../test/fake-hub/index';
import { runWorker } from '../child';
import { MiB, pseudoRandomBytes, seededRandom } from '../content';
import { ratio, seconds } from '../format';
import { runCount, syncDisks, type BenchContext, type RowResult, type Scenario } from '../scenario';
import { formatSpread, spread } from '../stats';
import { startLatencyProxy } from '../latencyProxy';

const REPO = 'bench/many-small-files';
const SMALL_FILES = 300;

/** 300 regular (non-LFS) files of 1–200 KB in a few folders, like configs, tokenizers and code, plus two LFS shards. */
function manyFilesRepo(largeBytes: number): { repo: FakeRepo; fileCount: number; totalBytes: number } {
  const random = seededRandom(300);
  const files: FakeFile[] = [];
  const folders = ['', 'tokenizer/', 'configs/', 'src/', 'eval/results/'];
  for (let i = 0; i < SMALL_FILES; i++) {
    const size = 1000 + Math.floor(random() * 199_000);
    const folder = folders[i % folders.length]!;
    files.push({ path: `${folder}file-${String(i).padStart(3, '0')}.json`, content: pseudoRandomBytes(size, `small-${i}`), lfs: false });
  }
  for (let i = 1; i <= 2; i++) {
    files.push({ path: `model-0000${i}-of-00002.safetensors`, content: pseudoRandomBytes(largeBytes, `shard-${i}`), lfs: true });
  }
  const totalBytes = files.reduce((sum, f) => sum + (f.content as Buffer).length, 0);
  return { repo: { kind: 'model', id: REPO, commits: [{ files }] }, fileCount: files.length, totalBytes };
}

function countFiles(dir: string): number {
  let count = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) count += countFiles(path.join(dir, entry.name));
    else count++;
  }
  return count;
}

interface Variant {
  readonly ours: number[];
  readonly theirs: number[];
  readonly ratios: number[];
}

/** Alternating runs of both downloaders against `endpoint` (the hub itself, or the latency proxy in front of it). */
async function measure(ctx: BenchContext, endpoint: string, runs: number, fileCount: number, label: string): Promise<Variant> {
  const dir = fs.mkdtempSync(path.join(ctx.workDir, 'small-'));
  const variant: Variant = { ours: [], theirs: [], ratios: [] };
  try {
    for (let run = 0; run < runs; run++) {
      const measureOurs = async (): Promise<number> => {
        const home = path.join(dir, `ours-${run}`);
        const result = await runWorker('cli', {
          argv: ['download', REPO, '--endpoint', endpoint, '--cache-dir', path.join(home, 'hub'), '--catalog', path.join(home, 'catalog.sqlite'), '--json'],
          env: { HF_TOKEN: '', HF_HOME: path.join(home, 'hf-home') },
        });
        if (result.data['code'] !== 0) throw new Error(`mistudio download failed: ${String(result.data['stderr'])}`);
        const files = countFiles(path.join(home, 'hub', 'models--bench--many-small-files', 'snapshots'));
        if (files !== fileCount) throw new Error(`mistudio download left ${files} of ${fileCount} files`);
        fs.rmSync(home, { recursive: true, force: true });
        syncDisks();
        return result.data['ms'] as number;
      };
      const measureTheirs = async (): Promise<number> => {
        const cacheDir = path.join(dir, `hubjs-${run}`);
        const result = await runWorker('hubjs-snapshot', { repo: REPO, hubUrl: endpoint, cacheDir });
        const files = countFiles(String(result.data['snapshot']));
        if (files !== fileCount) throw new Error(`snapshotDownload left ${files} of ${fileCount} files`);
        fs.rmSync(cacheDir, { recursive: true, force: true });
        syncDisks();
        return result.data['ms'] as number;
      };
      let ourMs: number;
      let theirMs: number;
      if (run % 2 === 0) {
        theirMs = await measureTheirs();
        ourMs = await measureOurs();
      } else {
        ourMs = await measureOurs();
        theirMs = await measureTheirs();
      }
      variant.ours.push(ourMs);
      variant.theirs.push(theirMs);
      variant.ratios.push(theirMs / ourMs);
      ctx.log(`${label} run ${run + 1}/${runs}: snapshotDownload ${seconds(theirMs)}, ours ${seconds(ourMs)} → ${ratio(variant.ratios.at(-1)!)}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return variant;
}

/** The Hub is tens of milliseconds away for most users; loopback is not. */
const HUB_ROUND_TRIP_MS = 20;

export const smallFiles: Scenario = {
  id: 'small',
  title: 'a repo of 300 small files + 2 large vs @huggingface/hub snapshotDownload',
  async run(ctx: BenchContext): Promise<RowResult[]> {
    const largeBytes = ctx.quick ? 16 * MiB : 128 * MiB;
    const { repo, fileCount, totalBytes } = manyFilesRepo(largeBytes);
    const hub = await startFakeHub({ repos: [repo] });
    const proxy = await startLatencyProxy(hub.url, HUB_ROUND_TRIP_MS);
    let direct: Variant;
    let delayed: Variant;
    try {
      direct = await measure(ctx, hub.url, runCount(ctx, 5, 2), fileCount, 'loopback');
      delayed = await measure(ctx, proxy.url, runCount(ctx, 3, 1), fileCount, `RTT ${HUB_ROUND_TRIP_MS} ms`);
    } finally {
      await proxy.close();
      await hub.close();
    }
    const large = `${largeBytes / MiB} MiB`;
    const what = `a repo of 300 small files (1–200 KB) + 2 large (${large} each)`;
    const baseline = '`@huggingface/hub` `snapshotDownload` (what a TS user would pick)';
    const target = '≥ 3× faster';
    const row = (label: string, v: Variant): RowResult => {
      const r = spread(v.ratios);
      return {
        what: `${what}, ${label}`,
        baseline,
        target,
        measured: `${formatSpread(r, ratio)} (ours ${formatSpread(spread(v.ours), seconds)}; snapshotDownload ${formatSpread(spread(v.theirs), seconds)})`,
        pass: r.median >= 3,
        notes: [],
      };
    };
    const first = row('loopback', direct);
    const second = row(`Hub ${HUB_ROUND_TRIP_MS} ms away`, delayed);
    return [
      {
        ...first,
        notes: [
          `${fileCount} files, ${(totalBytes / MiB).toFixed(0)} MiB in all (the small ones regular git files served by the Hub, the two shards LFS behind the CDN redirect), into an empty Hugging Face cache each run.`,
          'Ours: the `mistudio download` command (the CLI engine: catalog, plan, 4 files at a time, 8 ranges per large file, every file verified and fsync\'d, snapshot symlinks) in a fresh Node process; baseline: `snapshotDownload({ repo, hubUrl, cacheDir })` in a fresh Node process (it fetches files one after another and does not verify them).',
          'Both timed from the call to its return (Node start-up excluded for both); ratio = baseline time / our time per run, order alternated.',
        ],
      },
      {
        ...second,
        notes: [
          `The same, with every request to the Hub (API, listings and the small files; not the CDN) through a proxy in bench/ that delays each byte by ${HUB_ROUND_TRIP_MS / 2} ms each way — a ${HUB_ROUND_TRIP_MS} ms round trip, less than most users have to huggingface.co. This is where fetching one file after another costs time.`,
        ],
      },
    ];
  },
};
