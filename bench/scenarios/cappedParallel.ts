import * as fs from 'node:fs';
import * as path from 'node:path';
import { startFakeHub } from '../../test/fake-hub/index';
import { runWorker } from '../child';
import { MiB, pseudoRandomBytes, sha256Hex } from '../content';
import { resolveUrl, singleFileRepo } from '../fixtures';
import { mbps, ratio } from '../format';
import { runCount, syncDisks, type BenchContext, type RowResult, type Scenario } from '../scenario';
import { formatSpread, spread } from '../stats';

const REPO = 'bench/capped';
const FILE = 'model.safetensors';
const CAP_BYTES_PER_SECOND = 20_000_000;

export const cappedParallel: Scenario = {
  id: 'capped',
  title: 'one 512 MiB file, CDN capped at 20 MB/s per connection: parallel ranges vs one connection',
  async run(ctx: BenchContext): Promise<RowResult[]> {
    const size = ctx.quick ? 64 * MiB : 512 * MiB;
    const content = pseudoRandomBytes(size, 'capped');
    const sha256 = sha256Hex(content);
    const hub = await startFakeHub({ repos: [singleFileRepo(REPO, FILE, content)], cdnBytesPerSecondPerConnection: CAP_BYTES_PER_SECOND });
    const dir = fs.mkdtempSync(path.join(ctx.workDir, 'capped-'));
    const url = resolveUrl(hub, REPO, FILE);
    const single: number[] = [];
    const parallel: number[] = [];
    const ratios: number[] = [];
    const download = async (connections: number | undefined): Promise<number> => {
      const finalPath = path.join(dir, 'file.bin');
      const result = await runWorker('download-file', { url, partialPath: `${finalPath}.incomplete`, finalPath, size, sha256, ...(connections !== undefined ? { connections } : {}) });
      fs.rmSync(finalPath);
      syncDisks();
      return result.data['ms'] as number;
    };
    try {
      const runs = runCount(ctx, 3, 1);
      for (let run = 0; run < runs; run++) {
        const oneMs = await download(1);
        const manyMs = await download(undefined);
        single.push((size / oneMs) * 1000);
        parallel.push((size / manyMs) * 1000);
        ratios.push(oneMs / manyMs);
        ctx.log(`run ${run + 1}/${runs}: one connection ${mbps(single.at(-1)!)}, parallel ${mbps(parallel.at(-1)!)} → ${ratio(ratios.at(-1)!)}`);
      }
    } finally {
      await hub.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const r = spread(ratios);
    return [{
      what: `one ${size / MiB} MiB file from a fake hub capped at 20 MB/s per connection (as CDNs do)`,
      baseline: 'our own single-connection run',
      target: '≥ 3× with parallel ranges',
      measured: `${formatSpread(r, ratio)} (parallel ${formatSpread(spread(parallel), mbps)}; one connection ${formatSpread(spread(single), mbps)})`,
      pass: r.median >= 3,
      notes: [
        'The fake CDN paces every response to 20,000,000 bytes/s. Baseline: `downloadFile` with `connections: 1`; ours: `downloadFile` with its defaults (8 connections, parts ≥ 16 MiB, idle workers split the largest remaining part). Both verify sha256 and fsync, each in a fresh Node process, timed from the call to its return; ratio = single time / parallel time.',
      ],
    }];
  },
};
