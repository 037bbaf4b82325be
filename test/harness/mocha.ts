import Mocha from 'mocha';
import { Summary } from './summary';

/** Runs mocha spec files on the host and reports through the same summary as the in-VS-Code suites. */
export async function runMochaFiles(label: string, files: readonly string[], options: { timeoutMs?: number; grep?: string } = {}): Promise<Summary> {
  const mocha = new Mocha({ ui: 'bdd', timeout: options.timeoutMs ?? 120_000, color: false, ...(options.grep ? { grep: options.grep } : {}) });
  mocha.reporter(class {} as unknown as Mocha.ReporterConstructor);
  for (const file of files) mocha.addFile(file);
  await mocha.loadFilesAsync();
  const summary = new Summary(label);
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    summary.record({ type: 'start', total: runner.total });
    runner.on('pass', (t) => summary.record({ type: 'pass', title: t.fullTitle(), durationMs: t.duration ?? 0 }));
    runner.on('fail', (t, err: Error) => summary.record({ type: 'fail', title: t.fullTitle(), durationMs: t.duration ?? 0, error: err.stack ?? String(err) }));
    runner.on('pending', (t) => summary.record({ type: 'pending', title: t.fullTitle() }));
  });
  return summary;
}
