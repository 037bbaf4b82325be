import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { fixed } from './stats';

export interface LoadSummary {
  readonly samples: number;
  readonly min: number;
  readonly mean: number;
  readonly max: number;
}

/** Samples the 1-minute load average every 5 s while the benchmark runs (this machine is shared). */
export function loadSampler(): { stop(): void; summary(): LoadSummary } {
  const samples: number[] = [os.loadavg()[0]!];
  const timer = setInterval(() => samples.push(os.loadavg()[0]!), 5_000);
  timer.unref();
  return {
    stop: () => clearInterval(timer),
    summary: () => ({
      samples: samples.length,
      min: Math.min(...samples),
      mean: samples.reduce((a, b) => a + b, 0) / samples.length,
      max: Math.max(...samples),
    }),
  };
}

function commandVersion(command: string, args: string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.split('\n')[0]?.trim() : undefined;
}

export function machineNotes(load: LoadSummary): string[] {
  const cpus = os.cpus();
  const curl = commandVersion('curl', ['--version']);
  return [
    `CPU: ${cpus[0]?.model ?? 'unknown'} × ${cpus.length} (os.cpus), ${fixed(os.totalmem() / 2 ** 30, 1)} GiB RAM`,
    `OS: ${os.type()} ${os.release()} (${os.arch()}); Node ${process.version}${curl ? `; ${curl.split(' ').slice(0, 2).join(' ')}` : ''}`,
    `Load (1-min average, sampled every 5 s during the run): min ${fixed(load.min, 2)}, mean ${fixed(load.mean, 2)}, max ${fixed(load.max, 2)} on ${cpus.length} cores`,
  ];
}
