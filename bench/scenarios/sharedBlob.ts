import * as fs from 'node:fs';
import * as path from 'node:path';
import { startFakeHub } from '../../test/fake-hub/index';
import { startWorker } from '../child';
import { MiB, pseudoRandomBytes } from '../content';
import { singleFileRepo } from '../fixtures';
import { mib } from '../format';
import { runCount, syncDisks, type BenchContext, type RowResult, type Scenario } from '../scenario';
import { formatSpread, spread } from '../stats';

const REPO = 'bench/shared-blob';
const FILE = 'model.safetensors';
const CAP_BYTES_PER_SECOND = 50_000_000;

/**
 * Two processes (two catalogs, e.g. a window and the CLI) download the same file into one cache at the same moment:
 * the blob's lock makes one of them wait and reuse the other's blob, so the CDN sends it once.
 */
export const sharedBlob: Scenario = {
  id: 'shared',
  title: 'two processes downloading one blob',
  async run(ctx: BenchContext): Promise<RowResult[]> {
    const size = ctx.quick ? 64 * MiB : 1024 * MiB;
    const content = pseudoRandomBytes(size, 'shared-blob');
    const sent: number[] = [];
    const runs = runCount(ctx, 3, 1);
    for (let run = 0; run < runs; run++) {
      const home = fs.mkdtempSync(path.join(ctx.workDir, 'shared-'));
      const hub = await startFakeHub({ repos: [singleFileRepo(REPO, FILE, content)], cdnBytesPerSecondPerConnection: CAP_BYTES_PER_SECOND });
      try {
        const argv = (catalog: string): string[] => ['download', REPO, '--endpoint', hub.url, '--cache-dir', path.join(home, 'hub'), '--catalog', path.join(home, catalog), '--json'];
        const env = { HF_TOKEN: '', HF_HOME: path.join(home, 'hf-home') };
        const outcomes = await Promise.all([startWorker('cli', { argv: argv('a.sqlite'), env }).done, startWorker('cli', { argv: argv('b.sqlite'), env }).done]);
        for (const outcome of outcomes) {
          if (outcome.result?.data['code'] !== 0) throw new Error(`a download failed: ${String(outcome.result?.data['stderr'] ?? outcome.stderr).slice(-800)}`);
        }
        const bytes = hub.bytesSent({ server: 'cdn' });
        sent.push(bytes / size);
        ctx.log(`run ${run + 1}/${runs}: the CDN sent ${mib(bytes)} for two downloads of ${mib(size)}`);
      } finally {
        await hub.close();
        fs.rmSync(home, { recursive: true, force: true });
        syncDisks();
      }
    }
    const s = spread(sent);
    return [
      {
        what: `two processes downloading one ${size / MiB} MiB blob into one cache`,
        baseline: 'the file size',
        target: 'bytes sent ≤ 1.01× the file (sent once)',
        measured: formatSpread(s, (v) => `${v.toFixed(3)}×`),
        pass: s.max <= 1.01,
        notes: [
          'Two `mistudio download` processes, each with its own catalog, started together on one cache (CDN capped at 50 MB/s per connection): both must end verified. The one that takes the blob\'s lock (`.locks/<repo>/<blob>.lock`, the lock huggingface_hub takes) downloads; the other waits ("waiting for another download of this file") and links the finished blob. Pass/fail on the worst run.',
        ],
      },
    ];
  },
};
