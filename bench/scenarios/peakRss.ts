import * as fs from 'node:fs';
import * as path from 'node:path';
import { startFakeHub } from '../../test/fake-hub/index';
import { runWorker } from '../child';
import { GiB, MiB, pseudoRandomBytes } from '../content';
import { singleFileRepo } from '../fixtures';
import { mbps } from '../format';
import { runCount, syncDisks, type BenchContext, type RowResult, type Scenario } from '../scenario';
import { formatSpread, spread } from '../stats';

const REPO = 'bench/two-gib';
const FILE = 'model.safetensors';
const TARGET_BYTES = 150 * 1_000_000;

function mb(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(0)} MB`;
}

export const peakRss: Scenario = {
  id: 'rss',
  title: 'peak RSS while downloading 2 GiB',
  async run(ctx: BenchContext): Promise<RowResult[]> {
    const size = ctx.quick ? 256 * MiB : 2 * GiB;
    ctx.log(`generating ${size / MiB} MiB`);
    const content = pseudoRandomBytes(size, 'two-gib');
    const hub = await startFakeHub({ repos: [singleFileRepo(REPO, FILE, content)] });
    const peaks: number[] = [];
    const speeds: number[] = [];
    let idlePeak = 0;
    try {
      // What an engine that did nothing would cost: the same process opening the catalog and listing it.
      const idle = await runWorker('cli', { argv: ['list', '--catalog', path.join(ctx.workDir, 'idle.sqlite'), '--cache-dir', path.join(ctx.workDir, 'idle-hub')], env: { HF_TOKEN: '' } });
      idlePeak = idle.peakRssBytes;
      ctx.log(`idle (mistudio list): peak RSS ${mb(idlePeak)}`);
      const runs = runCount(ctx, 3, 1);
      for (let run = 0; run < runs; run++) {
        const home = fs.mkdtempSync(path.join(ctx.workDir, 'rss-'));
        try {
          const result = await runWorker('cli', {
            argv: ['download', REPO, '--endpoint', hub.url, '--cache-dir', path.join(home, 'hub'), '--catalog', path.join(home, 'catalog.sqlite'), '--json'],
            env: { HF_TOKEN: '', HF_HOME: path.join(home, 'hf-home') },
          });
          if (result.data['code'] !== 0) throw new Error(`mistudio download failed: ${String(result.data['stderr'])}`);
          peaks.push(result.peakRssBytes);
          speeds.push((size / (result.data['ms'] as number)) * 1000);
          ctx.log(`run ${run + 1}/${runs}: peak RSS ${mb(result.peakRssBytes)} at ${mbps(speeds.at(-1)!)}; sampled peaks ${Object.entries(result.memoryPeaks ?? {}).map(([k, v]) => `${k} ${mb(v)}`).join(', ')}`);
        } finally {
          fs.rmSync(home, { recursive: true, force: true });
          syncDisks();
        }
      }
    } finally {
      await hub.close();
    }
    const r = spread(peaks);
    return [{
      what: `peak RSS while downloading ${size >= GiB ? `${size / GiB} GiB` : `${size / MiB} MiB`}`,
      baseline: '—',
      target: '≤ 150 MB (streaming, hashing on the fly)',
      measured: `${formatSpread(r, mb)} (at ${formatSpread(spread(speeds), mbps)})`,
      pass: r.max <= TARGET_BYTES,
      notes: [
        `\`mistudio download\` of one ${size / MiB} MiB LFS file (8 ranges, sha256 while streaming) from the uncapped loopback CDN — the fastest, so the most bytes in flight — in a fresh Node process; peak = the process's \`process.resourceUsage().maxRSS\` (getrusage high-water mark) read at its end. Pass/fail on the worst run.`,
        `For scale: the same process running \`mistudio list\` peaks at ${mb(idlePeak)} (Node, the bundle and sql.js).`,
      ],
    }];
  },
};
