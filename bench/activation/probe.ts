/**
 * The activation probe: a tiny extension installed beside MechInterp Studio only for `npm run bench`. In each
 * extension host it waits for MechInterp Studio to be activated (it activates on startup finished; if it has not
 * within a few seconds, the probe activates it through the API), then records VS Code's own timing marks for it.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { ActivationSample } from './sample';

const EXTENSION_ID = 'mistudio.mistudio';
/** This probe: an extension that does nothing at activation, timed the same way, as the floor VS Code sets. */
const PROBE_ID = 'mistudio-bench.mistudio-bench-probe';

interface PerformanceMark {
  readonly name: string;
  readonly startTime: number;
}

/** VS Code's own performance marks in this extension host (vs/base/common/performance). */
function markTime(name: string): number | undefined {
  const store = (globalThis as { MonacoPerformanceMarks?: { getMarks?: () => PerformanceMark[] } }).MonacoPerformanceMarks;
  return (store?.getMarks?.() ?? []).find((m) => m.name === name)?.startTime;
}

const mark = (phase: string, id = EXTENSION_ID): number | undefined => markTime(`code/extHost/${phase}/${id}`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(waitMs: number): Promise<ActivationSample> {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  if (extension === undefined) return { error: `${EXTENSION_ID} is not installed` };
  const deadline = Date.now() + waitMs;
  while (mark('didActivateExtension') === undefined && Date.now() < deadline) await sleep(50);
  let trigger: ActivationSample['trigger'] = 'startup';
  if (mark('didActivateExtension') === undefined) {
    trigger = 'api';
    await extension.activate();
  }
  const willLoad = mark('willLoadExtensionCode');
  const didLoad = mark('didLoadExtensionCode');
  const willActivate = mark('willActivateExtension');
  const didActivate = mark('didActivateExtension');
  if (willLoad === undefined || didLoad === undefined || willActivate === undefined || didActivate === undefined) {
    return { error: 'VS Code recorded no activation marks for the extension' };
  }
  const probeStart = mark('willLoadExtensionCode', PROBE_ID);
  const probeEnd = mark('didActivateExtension', PROBE_ID);
  return {
    trigger,
    totalMs: didActivate - willLoad,
    loadMs: didLoad - willLoad,
    activateCallMs: didActivate - willActivate,
    ...(probeStart !== undefined && probeEnd !== undefined ? { noopTotalMs: probeEnd - probeStart } : {}),
  };
}

export function activate(): void {
  const resultFile = process.env.MISTUDIO_BENCH_ACTIVATION_RESULT;
  if (!resultFile) return;
  const waitMs = Number(process.env.MISTUDIO_BENCH_ACTIVATION_WAIT_MS ?? 10_000);
  measure(waitMs)
    .catch((err: unknown): ActivationSample => ({ error: err instanceof Error ? err.message : String(err) }))
    .then((sample) => fs.appendFileSync(resultFile, `${JSON.stringify({ ...sample, pid: process.pid })}\n`));
}

export function deactivate(): void {
  // Nothing to release.
}
