import * as fs from 'node:fs';
import * as path from 'node:path';
import { startFakeHub } from '../../test/fake-hub/index';
import { runWorker } from '../child';
import { startProcess } from '../child';
import { GiB, MiB, pseudoRandomBytes, sha256Hex } from '../content';
import { resolveUrl, singleFileRepo } from '../fixtures';
import { mbps, mib, ms, ratio } from '../format';
import { runCount, syncDisks, type BenchContext, type RowResult, type Scenario } from '../scenario';
import { formatSpread, spread } from '../stats';

const REPO = 'bench/large-file';
const FILE = 'model.safetensors';

interface Measured {
  readonly ms: number;
  /** CPU time (user + system) of the downloading process. */
  readonly cpuMs: number;
  /** CPU time the fake hub (this process) spent serving it. */
  readonly hubCpuMs: number;
  readonly io?: Record<string, number>;
}

function cpuMsSince(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/** curl -L to disk; its own time_total (connect to last byte written), so process start-up is not counted. */
async function curlOnce(url: string, out: string): Promise<Measured> {
  const hubCpu = process.cpuUsage();
  const args = ['-sS', '-L', '--fail', '-o', out, '-w', '%{time_total} %{size_download}', url];
  // GNU time reports curl's CPU time on stderr, when it is installed.
  const timeBin = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
  const outcome = await (timeBin ? startProcess(timeBin, ['-f', 'cpu %U %S', 'curl', ...args]) : startProcess('curl', args)).done;
  const hubCpuMs = cpuMsSince(hubCpu);
  if (outcome.exitCode !== 0) throw new Error(`curl failed (${outcome.exitCode ?? outcome.signal}): ${outcome.stderr.trim()}`);
  const [seconds] = outcome.stdout.trim().split(/\s+/).map(Number);
  if (seconds === undefined || !Number.isFinite(seconds) || seconds <= 0) throw new Error(`unexpected curl output: ${outcome.stdout}`);
  const cpu = /cpu ([\d.]+) ([\d.]+)/.exec(outcome.stderr);
  return { ms: seconds * 1000, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : NaN, hubCpuMs };
}

async function oursOnce(url: string, finalPath: string, size: number, sha256: string, verify: boolean): Promise<Measured> {
  const hubCpu = process.cpuUsage();
  const result = await runWorker('download-file', { url, partialPath: `${finalPath}.incomplete`, finalPath, size, sha256, verify });
  const hubCpuMs = cpuMsSince(hubCpu);
  return { ms: result.data['ms'] as number, cpuMs: result.data['cpuMs'] as number, hubCpuMs, io: result.data['io'] as Record<string, number> };
}

export function hasCurl(): boolean {
  return ['/usr/bin/curl', '/usr/local/bin/curl', '/bin/curl'].some((p) => fs.existsSync(p));
}

function rate(size: number, m: Measured): number {
  return (size / m.ms) * 1000;
}

function perGiB(size: number, cpuMs: number): string {
  return ((cpuMs / 1000) * (GiB / size)).toFixed(2);
}

function cpuNote(size: number, runs: readonly Measured[]): string {
  return `${perGiB(size, spread(runs.map((m) => m.cpuMs)).median)} CPU-s`;
}

/** The median over runs of one of our disk-call counters (bench/worker.ts's instrumented partial). */
function ioMedian(runs: readonly Measured[], key: string): number {
  return spread(runs.map((m) => m.io?.[key] ?? 0)).median;
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
    const ours: Measured[] = [];
    const unverified: Measured[] = [];
    const theirs: Measured[] = [];
    const ratios: number[] = [];
    try {
      const runs = runCount(ctx, 5, 2);
      for (let run = 0; run < runs; run++) {
        const measureCurl = async (): Promise<Measured> => {
          const out = path.join(dir, 'curl.bin');
          const m = await curlOnce(url, out);
          if (fs.statSync(out).size !== size) throw new Error('curl wrote the wrong size');
          fs.rmSync(out);
          syncDisks();
          return m;
        };
        const measureOurs = async (verify: boolean): Promise<Measured> => {
          const finalPath = path.join(dir, 'ours.bin');
          const m = await oursOnce(url, finalPath, size, sha256, verify);
          fs.rmSync(finalPath);
          syncDisks();
          return m;
        };
        // Alternate who goes first so neither always inherits the other's page-cache write-back.
        let curlRun: Measured;
        let ourRun: Measured;
        if (run % 2 === 0) {
          curlRun = await measureCurl();
          ourRun = await measureOurs(true);
        } else {
          ourRun = await measureOurs(true);
          curlRun = await measureCurl();
        }
        // Diagnostic only: the same engine with verifyChecksums off, to show what hashing costs here.
        unverified.push(await measureOurs(false));
        theirs.push(curlRun);
        ours.push(ourRun);
        ratios.push(curlRun.ms / ourRun.ms);
        ctx.log(`run ${run + 1}/${runs}: curl ${mbps(rate(size, curlRun))}, ours ${mbps(rate(size, ourRun))} → ${ratio(ratios.at(-1)!)} (unverified ${mbps(rate(size, unverified.at(-1)!))}); CPU s/GiB curl ${perGiB(size, curlRun.cpuMs)}, ours ${perGiB(size, ourRun.cpuMs)}, unverified ${perGiB(size, unverified.at(-1)!.cpuMs)}; hub ${perGiB(size, curlRun.hubCpuMs)} / ${perGiB(size, ourRun.hubCpuMs)}`);
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
      measured: `${formatSpread(r, ratio)} (ours ${formatSpread(spread(ours.map((m) => rate(size, m))), mbps)}; curl ${formatSpread(spread(theirs.map((m) => rate(size, m))), mbps)})`,
      pass: r.median >= 0.95,
      notes: [
        `Both start from the Hub resolve URL, follow the 302 to the CDN origin and write to the same disk. curl: \`curl -sS -L -o FILE URL\`, timed by its own \`time_total\`. Ours: \`downloadFile\` (default 8 connections, sha256 verified while streaming, fsync + rename) in a fresh Node process, timed from the call to its return. Ratio = curl time / our time per run (order alternated, \`sync\` between runs).`,
        `CPU per GiB (user + system, medians): ours ${cpuNote(size, ours)} verified, ${cpuNote(size, unverified)} without verification; curl ${cpuNote(size, theirs)}; the fake hub serving ours ${perGiB(size, spread(ours.map((m) => m.hubCpuMs)).median)} CPU-s. Our disk calls (medians, wall time summed over overlapping calls): writes ${ms(ioMedian(ours, 'writeMs'))} in ${ioMedian(ours, 'writeCalls').toFixed(0)} calls, reads back for hashing ${ms(ioMedian(ours, 'readMs'))} (${mib(ioMedian(ours, 'readBytes'))}), fsync ${ms(ioMedian(ours, 'syncMs'))}.`,
      ],
    }];
  },
};
