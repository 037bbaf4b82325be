import * as fs from 'node:fs';
import * as path from 'node:path';
import { startFakeHub, type FakeHub, type FakeHubOptions } from '../../test/fake-hub/index';
import { startWorker, type WorkerOutcome } from '../child';
import { MiB, pseudoRandomBytes } from '../content';
import { singleFileRepo } from '../fixtures';
import { mib, percent } from '../format';
import { runCount, syncDisks, type BenchContext, type RowResult, type Scenario } from '../scenario';
import { formatSpread, spread } from '../stats';

const REPO = 'bench/resume';
const FILE = 'model.safetensors';
const CUT_AT = 0.9;
const CAP_BYTES_PER_SECOND = 20_000_000;

type Cut = 'pause' | 'kill' | 'network';

const CUT_LABEL: Record<Cut, string> = {
  pause: 'paused (Ctrl-C)',
  kill: 'process killed (SIGKILL)',
  network: 'network gone (every connection dropped, then refused)',
};

function cdnBytes(hub: FakeHub): number {
  return hub.bytesSent({ server: 'cdn' });
}

/** Resolves once the CDN has sent `threshold` bytes (polled every 2 ms), or when `stop` resolves first. */
async function whenSent(hub: FakeHub, threshold: number, stop: Promise<unknown>): Promise<boolean> {
  let stopped = false;
  void stop.then(() => (stopped = true));
  while (!stopped) {
    if (cdnBytes(hub) >= threshold) return true;
    await new Promise((r) => setTimeout(r, 2));
  }
  return false;
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

interface CutRun {
  readonly resentBytes: number;
  readonly firstRunBytes: number;
  readonly secondRunBytes: number;
}

async function cutAndResume(ctx: BenchContext, cut: Cut, options: FakeHubOptions, size: number, home: string): Promise<CutRun> {
  let hub = await startFakeHub(options);
  const hubs: FakeHub[] = [hub];
  const argv = (endpoint: string): string[] => [
    'download', REPO, '--endpoint', endpoint, '--cache-dir', path.join(home, 'hub'), '--catalog', path.join(home, 'catalog.sqlite'), '--json',
  ];
  const env = { HF_TOKEN: '', HF_HOME: path.join(home, 'hf-home') };
  try {
    const first = startWorker('cli', { argv: argv(hub.url), env });
    const reached = await whenSent(hub, Math.floor(size * CUT_AT), first.done);
    if (!reached) throw new Error(`the first run ended before ${CUT_AT * 100}% (${(await first.done).stderr.slice(-500)})`);
    if (cut === 'pause') first.kill('SIGINT');
    else if (cut === 'kill') first.kill('SIGKILL');
    else await hub.close();
    const firstOutcome: WorkerOutcome = await first.done;
    const firstRunBytes = cdnBytes(hub);
    if (cut === 'network') {
      if (firstOutcome.result?.data['code'] === 0) throw new Error('the first run completed although the network went away');
      hub = await startFakeHub({ ...options, port: portOf(hub.url), cdnPort: portOf(hub.cdnUrl) });
      hubs.push(hub);
    }
    const second = await startWorker('cli', { argv: argv(hub.url), env }).done;
    if (second.result?.data['code'] !== 0) {
      throw new Error(`the resumed run failed: ${String(second.result?.data['stderr'] ?? second.stderr).slice(-800)}`);
    }
    const totalBytes = hubs.reduce((sum, h) => sum + cdnBytes(h), 0);
    const secondRunBytes = totalBytes - firstRunBytes;
    ctx.log(`${cut}: first run ${mib(firstRunBytes)} (exit ${firstOutcome.result?.data['code'] ?? firstOutcome.signal}), resumed run ${mib(secondRunBytes)}, re-sent ${mib(totalBytes - size)}`);
    return { resentBytes: totalBytes - size, firstRunBytes, secondRunBytes };
  } finally {
    for (const h of hubs) await h.close();
  }
}

export const resume: Scenario = {
  id: 'resume',
  title: 'resume of a 512 MiB file cut at 90%',
  async run(ctx: BenchContext): Promise<RowResult[]> {
    const size = ctx.quick ? 64 * MiB : 512 * MiB;
    const content = pseudoRandomBytes(size, 'resume');
    const options: FakeHubOptions = { repos: [singleFileRepo(REPO, FILE, content)], cdnBytesPerSecondPerConnection: CAP_BYTES_PER_SECOND };
    const rows: RowResult[] = [];
    for (const cut of ['pause', 'network', 'kill'] as const) {
      const resent: number[] = [];
      const runs = runCount(ctx, 3, 1);
      for (let run = 0; run < runs; run++) {
        const home = fs.mkdtempSync(path.join(ctx.workDir, `resume-${cut}-`));
        try {
          const result = await cutAndResume(ctx, cut, options, size, home);
          resent.push(result.resentBytes / size);
        } finally {
          fs.rmSync(home, { recursive: true, force: true });
          syncDisks();
        }
      }
      const r = spread(resent);
      rows.push({
        what: `resume of a ${size / MiB} MiB file cut at 90%: ${CUT_LABEL[cut]}`,
        baseline: 'the file size',
        target: 'bytes re-sent ≤ 1%',
        measured: formatSpread(r, percent),
        pass: r.median <= 0.01,
        notes: cut === 'pause'
          ? [
            `\`mistudio download\` (the CLI engine, default 8 ranges) from a CDN capped at 20 MB/s per connection (160 MB/s for 8), in a fresh Node process; once the CDN has sent ${CUT_AT * 100}% of the file, the download is cut, then the same command runs again and must end verified.`,
            'Re-sent = every byte the CDN sent over both runs − the file size, as a share of the file size (bytes in flight when the cut came count as re-sent).',
            'Cuts: Ctrl-C (SIGINT: the CLI pauses, keeping partials and their ranges); the network (the fake hub closes, dropping every connection and refusing new ones until the engine gives up, then it comes back on the same ports); SIGKILL of the process (no chance to write anything more: the resume trusts the ranges the catalog last checkpointed plus those the per-partial range journal recorded after each write batch).',
          ]
          : [],
      });
    }
    return rows;
  },
};
