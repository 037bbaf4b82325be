/**
 * `npm run bench`: every figure against a baseline measured in the same run on the same machine, min / median / max
 * over several runs, written to bench/results.md. `--quick` for a smaller smoke run; `--only=large,catalog` to pick.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineNotes, loadSampler } from './machine';
import { parseRobustnessSummary, renderResults } from './results';
import type { BenchContext, RowResult, Scenario } from './scenario';
import { activation } from './scenarios/activation';
import { cacheScan } from './scenarios/cacheScan';
import { cappedParallel } from './scenarios/cappedParallel';
import { catalogScale } from './scenarios/catalogScale';
import { sharedBlob } from './scenarios/sharedBlob';
import { largeFile } from './scenarios/largeFile';
import { peakRss } from './scenarios/peakRss';
import { resume } from './scenarios/resume';
import { smallFiles } from './scenarios/smallFiles';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCENARIOS: readonly Scenario[] = [largeFile, smallFiles, cappedParallel, resume, peakRss, sharedBlob, catalogScale, cacheScan, activation];

function parseArgs(argv: readonly string[]): { quick: boolean; only: Set<string> | undefined; workDir: string | undefined; out: string | undefined } {
  let quick = false;
  let only: Set<string> | undefined;
  let workDir: string | undefined;
  let out: string | undefined;
  for (const arg of argv) {
    if (arg === '--quick') quick = true;
    else if (arg.startsWith('--only=')) only = new Set(arg.slice('--only='.length).split(',').filter(Boolean));
    else if (arg.startsWith('--work-dir=')) workDir = arg.slice('--work-dir='.length);
    else if (arg.startsWith('--out=')) out = arg.slice('--out='.length);
    else throw new Error(`unknown argument ${arg} (expected --quick, --only=${SCENARIOS.map((s) => s.id).join(',')}, --work-dir=DIR, --out=FILE)`);
  }
  if (only) for (const id of only) if (!SCENARIOS.some((s) => s.id === id)) throw new Error(`unknown scenario ${id}`);
  return { quick, only, workDir, out };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const workDir = fs.mkdtempSync(path.join(args.workDir ?? os.tmpdir(), 'mistudio-bench-'));
  const started = Date.now();
  const load = loadSampler();
  const ctx: BenchContext = {
    quick: args.quick,
    workDir,
    log: (message) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`),
  };
  const rows: RowResult[] = [];
  try {
    for (const scenario of SCENARIOS) {
      if (args.only && !args.only.has(scenario.id)) continue;
      ctx.log(`── ${scenario.title}`);
      try {
        const results = await scenario.run(ctx);
        rows.push(...results);
        for (const row of results) ctx.log(`${row.what}: ${row.measured} → ${row.pass === undefined ? 'n/a' : row.pass ? 'PASS' : 'FAIL'}`);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        ctx.log(`${scenario.title} failed: ${err instanceof Error ? err.stack ?? message : message}`);
        rows.push({ what: scenario.title, baseline: '', target: '(see the issue)', measured: 'error', pass: false, notes: [`The scenario failed: ${message.split('\n')[0]}`] });
      }
    }
  } finally {
    load.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  const analysisFile = path.join(repoRoot, 'bench', 'analysis.md');
  const analysis = fs.existsSync(analysisFile) ? fs.readFileSync(analysisFile, 'utf8') : undefined;
  const robustnessFile = path.join(repoRoot, 'out', 'robustness-summary.json');
  const robustness = fs.existsSync(robustnessFile) ? parseRobustnessSummary(fs.readFileSync(robustnessFile, 'utf8')) : undefined;
  const markdown = renderResults({ rows, quick: args.quick, machine: machineNotes(load.summary()), durationMs: Date.now() - started, only: args.only, analysis, ...(robustness ? { robustness } : {}) });
  const out = args.out ?? path.join(repoRoot, 'bench', args.quick || args.only ? 'results.partial.md' : 'results.md');
  fs.writeFileSync(out, markdown);
  process.stdout.write(markdown);
  ctx.log(`written ${path.relative(process.cwd(), out)}`);
  process.exitCode = rows.every((r) => r.pass !== false) ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(2);
});
