import * as fs from 'node:fs';
import * as path from 'node:path';
import { startFakeHub } from '../../test/fake-hub/index';
import { runWorker } from '../child';
import { startProcess } from '../child';
import { GiB, MiB, pseudoRandomBytes, sha256Hex } from '../content';
import { resolveUrl, singleFileRepo } from '../fixtures';
import { mbps, ratio } from '../format';
import { runCount, syncDisks, type BenchContext, type RowResult, type Scenario } from '../scenario';
import { formatSpread, spread } from '../stats';

const REPO = 'bench/large-file';
const FILE = 'model.safetensors';

/** curl -L to disk; its own time_total (connect to last byte written), so process start-up is not counted. */
async function curlOnce(url: string, out: string): Promise<number> {
  const outcome = await startProcess('curl', ['-sS', '-L', '--fail', '-o', out, '-w', '%{time_total} %{size_download}', url]).done;
  if (outcome.exitCode !== 0) throw new Error(`curl failed (${outcome.exitCode ?? outcome.signal}): ${outcome.stderr.trim()}`);
  const [seconds] = outcome.stdout.trim().split(/\s+/).map(Number);
  if (seconds === undefined || !Number.isFinite(seconds) || seconds <= 0) throw new Error(`unexpected curl output: ${outcome.stdout}`);
  return seconds * 1000;
}

export function hasCurl(): boolean {
  return ['/usr/bin/curl', '/usr/local/bin/curl', '/bin/curl'].some((p) => fs.existsSync(p));
}

export const largeFile: Scenario = {
  id: 'large',
  title: 'one 1 GiB LFS file vs curl',
  async run(ctx: BenchContext): Promise<RowResult[]> {
    const size = ctx.quick ? 256 * MiB : GiB;
    const what = `one ${ctx.quick ? '256 MiB' : '1 GiB'} LFS file`;
    const baseline = '`curl` downloading the same URL to disk (the limit here)';
    const target = '≥ 0.95× curl\'s throughput';
    if (!hasCurl()) {
      return [{ what, baseline, target, measured: 'not measured', pass: undefined, notes: ['curl is not installed (apt-get install curl); the row is skipped.'] }];
    }
    ctx.log(`generating ${size / MiB} MiB`);
    const content = pseudoRandomBytes(size, 'large-file');
    const sha256 = sha256Hex(content);
    const hub = await startFakeHub({ repos: [singleFileRepo(REPO, FILE, content)] });
    const dir = fs.mkdtempSync(path.join(ctx.workDir, 'large-'));
    const url = resolveUrl(hub, REPO, FILE);
    const ours: number[] = [];
    const theirs: number[] = [];
    const ratios: number[] = [];
    try {
      const runs = runCount(ctx, 5, 2);
      for (let run = 0; run < runs; run++) {
        const measureCurl = async (): Promise<number> => {
          const out = path.join(dir, 'curl.bin');
          const msTaken = await curlOnce(url, out);
          if (fs.statSync(out).size !== size) throw new Error('curl wrote the wrong size');
          fs.rmSync(out);
          syncDisks();
          return msTaken;
        };
        const measureOurs = async (): Promise<number> => {
          const finalPath = path.join(dir, 'ours.bin');
          const result = await runWorker('download-file', { url, partialPath: `${finalPath}.incomplete`, finalPath, size, sha256 });
          fs.rmSync(finalPath);
          syncDisks();
          return result.data['ms'] as number;
        };
        // Alternate who goes first so neither always inherits the other's page-cache write-back.
        let curlMs: number;
        let ourMs: number;
        if (run % 2 === 0) {
          curlMs = await measureCurl();
          ourMs = await measureOurs();
        } else {
          ourMs = await measureOurs();
          curlMs = await measureCurl();
        }
        theirs.push((size / curlMs) * 1000);
        ours.push((size / ourMs) * 1000);
        ratios.push(curlMs / ourMs);
        ctx.log(`run ${run + 1}/${runs}: curl ${mbps(theirs.at(-1)!)}, ours ${mbps(ours.at(-1)!)} → ${ratio(ratios.at(-1)!)}`);
      }
    } finally {
      await hub.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const r = spread(ratios);
    return [{
      what,
      baseline,
      target,
      measured: `${formatSpread(r, ratio)} (ours ${formatSpread(spread(ours), mbps)}; curl ${formatSpread(spread(theirs), mbps)})`,
      pass: r.median >= 0.95,
      notes: [
        `Both start from the Hub resolve URL, follow the 302 to the CDN origin and write to the same disk. curl: \`curl -sS -L -o FILE URL\`, timed by its own \`time_total\`. Ours: \`downloadFile\` (default 8 connections, sha256 verified while streaming, fsync + rename) in a fresh Node process, timed from the call to its return. Ratio = curl time / our time per run (order alternated, \`sync\` between runs).`,
      ],
    }];
  },
};
