import * as vscode from 'vscode';
import type { CatalogEntry } from '../../core/catalog';
import { describeError, MistudioError } from '../../core/errors';
import type { HubSearchResult } from '../../core/hub';
import { formatBytes } from '../../core/progress';
import { repoUrl, validateRepoId, validateRevision, type RepoKind } from '../../core/repo';
import type { DownloadPlan, DownloadRequest } from '../../core/studioTypes';
import { parseDownloadArgs, parsePatternList, type DownloadArgs } from '../commandArgs';
import { formatCount } from '../entryView';
import type { CommandContext } from './context';

const SEARCH_DEBOUNCE_MS = 250;
const SEARCH_LIMIT = 50;

/**
 * Download Model… / Download Dataset…: search the Hub as you type, pick a revision and include patterns, see the file
 * plan with sizes and free space, confirm. With `{ repoId, …, confirm: false }` (scripts, tests) it starts at once.
 * Resolves to the catalog entry that was queued, or undefined when the user backed out.
 */
export async function downloadCommand(ctx: CommandContext, kind: RepoKind, arg: unknown): Promise<CatalogEntry | undefined> {
  let args: DownloadArgs | undefined;
  try {
    args = parseDownloadArgs(kind, arg);
  } catch (err) {
    void ctx.errors.report(err);
    return undefined;
  }
  if (args && !args.confirm) {
    const request = toRequest(args);
    return enqueue(ctx, request, () => downloadCommand(ctx, kind, arg));
  }
  return interactiveDownload(ctx, kind, args);
}

function toRequest(args: DownloadArgs): DownloadRequest {
  return {
    kind: args.kind,
    repoId: args.repoId,
    ...(args.revision ? { revision: args.revision } : {}),
    ...(args.include ? { include: args.include } : {}),
    ...(args.exclude ? { exclude: args.exclude } : {}),
  };
}

async function enqueue(ctx: CommandContext, request: DownloadRequest | DownloadPlan, retry: () => Promise<unknown>): Promise<CatalogEntry | undefined> {
  const repoId = 'request' in request ? request.request.repoId : request.repoId;
  try {
    const studio = await ctx.host.get();
    const entry = await studio.enqueue(request);
    ctx.log.info(`Queued ${entry.kind} ${entry.repoId}@${entry.revision}`);
    return entry;
  } catch (err) {
    void ctx.errors.report(err, { repoId }, retry);
    return undefined;
  }
}

async function interactiveDownload(ctx: CommandContext, kind: RepoKind, prefill: DownloadArgs | undefined): Promise<CatalogEntry | undefined> {
  const noun = kind === 'model' ? 'Model' : 'Dataset';
  const title = (step: number): string => `Download ${noun} (${step}/4)`;
  const repoId = await pickRepo(ctx, kind, title(1), prefill?.repoId);
  if (!repoId) return undefined;

  const revision = await vscode.window.showInputBox({
    title: title(2),
    prompt: `Branch, tag or commit of ${repoId}`,
    value: prefill?.revision ?? 'main',
    ignoreFocusOut: true,
    validateInput: (text) => validationMessage(() => validateRevision(text)),
  });
  if (revision === undefined) return undefined;

  const defaults = prefill?.include ?? ctx.config.current.defaultIncludePatterns;
  const includeText = await vscode.window.showInputBox({
    title: title(3),
    prompt: 'Include patterns, separated by commas (as hf download --include). Empty: every file.',
    placeHolder: '*.safetensors, *.json, tokenizer*',
    value: defaults.join(', '),
    ignoreFocusOut: true,
  });
  if (includeText === undefined) return undefined;

  const request: DownloadRequest = {
    kind,
    repoId,
    revision: revision.trim(),
    include: parsePatternList(includeText),
    ...(prefill?.exclude ? { exclude: prefill.exclude } : {}),
  };
  const plan = await planWithProgress(ctx, request);
  if (!plan || !(await checkAccess(ctx, plan, () => planAndConfirm(ctx, request)))) return undefined;
  if (plan.files.length === 0) {
    const again = await vscode.window.showWarningMessage(`No file of ${repoId}@${plan.revision} matches "${includeText}".`, 'Change Patterns');
    if (again) return interactiveDownload(ctx, kind, { kind, repoId, revision: plan.revision, confirm: true, ...(request.exclude ? { exclude: request.exclude } : {}) });
    return undefined;
  }
  if (plan.bytesToDownload > plan.freeBytes) {
    const error = new MistudioError('NoSpace', 'Not enough disk space', { repoId, neededBytes: plan.bytesToDownload, freeBytes: plan.freeBytes, path: plan.cacheRoot });
    void ctx.errors.report(error, { repoId }, () => interactiveDownload(ctx, kind, undefined));
    return undefined;
  }
  if (!(await confirmPlan(ctx, plan, title(4)))) return undefined;
  return enqueue(ctx, plan, () => enqueueAgain(ctx, request));
}

function enqueueAgain(ctx: CommandContext, request: DownloadRequest): Promise<CatalogEntry | undefined> {
  return enqueue(ctx, request, () => enqueueAgain(ctx, request));
}

async function planWithProgress(ctx: CommandContext, request: DownloadRequest): Promise<DownloadPlan | undefined> {
  const label = `${request.repoId}@${request.revision ?? 'main'}`;
  try {
    const studio = await ctx.host.get();
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Listing the files of ${label}…`, cancellable: true },
      (_progress, token) => {
        const controller = new AbortController();
        const listener = token.onCancellationRequested(() => controller.abort());
        return studio.plan(request, controller.signal).finally(() => listener.dispose());
      },
    );
  } catch (err) {
    void ctx.errors.report(err, { repoId: request.repoId, repoUrl: repoUrl(ctx.host.endpoint, request) }, () => planAndConfirm(ctx, request));
    return undefined;
  }
}

/** Retry after a failed plan: plan again, then the same confirmation. */
async function planAndConfirm(ctx: CommandContext, request: DownloadRequest): Promise<CatalogEntry | undefined> {
  const plan = await planWithProgress(ctx, request);
  if (!plan || !(await checkAccess(ctx, plan, () => planAndConfirm(ctx, request)))) return undefined;
  if (!(await confirmPlan(ctx, plan, `Download ${request.kind === 'model' ? 'Model' : 'Dataset'}`))) return undefined;
  return enqueue(ctx, plan, () => enqueueAgain(ctx, request));
}

/**
 * A gated repo's files need a token with access. Without any token the download would surely fail, so say so now,
 * with Sign In (which then plans again) and Request Access; with a token, access can only be known by trying.
 */
async function checkAccess(ctx: CommandContext, plan: DownloadPlan, retry: () => Promise<unknown>): Promise<boolean> {
  if (!plan.info.gated || (await ctx.tokens.token()) !== undefined) return true;
  const error = new MistudioError('Gated', `${plan.ref.repoId} is gated`, { repoId: plan.ref.repoId, url: repoUrl(ctx.host.endpoint, plan.ref) });
  void ctx.errors.report(error, { repoId: plan.ref.repoId, signedIn: false }, retry);
  return false;
}

interface PlanItem extends vscode.QuickPickItem {
  readonly confirm?: boolean;
}

/** The plan as a list: a Download row on top (the default), then every file with its size. */
async function confirmPlan(ctx: CommandContext, plan: DownloadPlan, title: string): Promise<boolean> {
  const fileWord = plan.files.length === 1 ? 'file' : 'files';
  const toDownload = plan.bytesToDownload === plan.totalBytes ? formatBytes(plan.totalBytes) : `${formatBytes(plan.bytesToDownload)} of ${formatBytes(plan.totalBytes)} (the rest is cached)`;
  const download: PlanItem = {
    label: `$(cloud-download) Download ${plan.files.length} ${fileWord}`,
    description: `${toDownload}`,
    detail: `Commit ${plan.commit.slice(0, 12)} · into ${plan.cacheRoot} · ${formatBytes(plan.freeBytes)} free`,
    alwaysShow: true,
    confirm: true,
  };
  const files: PlanItem[] = plan.files.map((f) => ({
    label: f.path,
    description: `${formatBytes(f.size)}${f.cached ? ' · already in the cache' : ''}`,
    iconPath: new vscode.ThemeIcon(f.cached ? 'pass' : f.lfs ? 'file-binary' : 'file'),
  }));
  const pick = vscode.window.createQuickPick<PlanItem>();
  pick.title = `${title}: ${plan.ref.repoId}@${plan.revision}`;
  pick.placeholder = `${plan.files.length} ${fileWord} · ${formatBytes(plan.totalBytes)} — press Enter to download, Escape to cancel`;
  pick.matchOnDescription = true;
  pick.ignoreFocusOut = true;
  pick.items = [download, { label: 'Files', kind: vscode.QuickPickItemKind.Separator }, ...files];
  pick.activeItems = [download];
  ctx.log.info(`Plan for ${plan.ref.repoId}@${plan.revision}: ${plan.files.length} files, ${formatBytes(plan.totalBytes)}, ${formatBytes(plan.bytesToDownload)} to download`);
  return new Promise<boolean>((resolve) => {
    let accepted = false;
    pick.onDidAccept(() => {
      // Enter on a file row only looks at it; the Download row (or the filter text with no file row) confirms.
      const chosen = pick.selectedItems[0] ?? pick.activeItems[0];
      if (chosen && chosen.confirm !== true) return;
      accepted = true;
      pick.hide();
    });
    pick.onDidHide(() => {
      pick.dispose();
      resolve(accepted);
    });
    pick.show();
  });
}

interface RepoItem extends vscode.QuickPickItem {
  readonly repoId?: string;
}

/** A QuickPick that searches the Hub as you type; a typed "org/name" can be used as is. */
function pickRepo(ctx: CommandContext, kind: RepoKind, title: string, initial: string | undefined): Promise<string | undefined> {
  const pick = vscode.window.createQuickPick<RepoItem>();
  pick.title = title;
  pick.placeholder = kind === 'model' ? 'Search models on the Hugging Face Hub, or type org/name' : 'Search datasets on the Hugging Face Hub, or type org/name';
  pick.matchOnDescription = true;
  pick.matchOnDetail = true;
  pick.ignoreFocusOut = true;
  if (initial) pick.value = initial;

  let controller: AbortController | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let results: RepoItem[] = [];
  let problem: RepoItem | undefined;

  const render = (): void => {
    const typed = typedItem(pick.value, results);
    pick.items = [...(typed ? [typed] : []), ...results, ...(problem ? [problem] : [])];
  };
  const search = (query: string): void => {
    controller?.abort();
    const current = new AbortController();
    controller = current;
    pick.busy = true;
    void ctx.host
      .get()
      .then((studio) => studio.searchHub(kind, query, { limit: SEARCH_LIMIT, sort: 'downloads' }, current.signal))
      .then(
        (found) => {
          if (current.signal.aborted) return;
          results = found.map(resultItem);
          problem = undefined;
        },
        (err: unknown) => {
          if (current.signal.aborted) return;
          ctx.log.warn(`Hub search for "${query}": ${describeError(err)}`);
          results = [];
          problem = { label: `$(warning) Search failed: ${describeError(err)}`, detail: 'Type the full repo id (org/name) to download it anyway.', alwaysShow: true };
        },
      )
      .finally(() => {
        if (current.signal.aborted) return;
        pick.busy = false;
        render();
      });
  };

  return new Promise<string | undefined>((resolve) => {
    let chosen: string | undefined;
    pick.onDidChangeValue((value) => {
      render();
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => search(value), SEARCH_DEBOUNCE_MS);
    });
    pick.onDidAccept(() => {
      const item = pick.selectedItems[0] ?? pick.activeItems[0];
      const repoId = item?.repoId ?? typedRepoId(pick.value);
      if (!repoId) return;
      chosen = repoId;
      pick.hide();
    });
    pick.onDidHide(() => {
      controller?.abort();
      if (timer !== undefined) clearTimeout(timer);
      pick.dispose();
      resolve(chosen);
    });
    render();
    pick.show();
    search(pick.value);
  });
}

function resultItem(result: HubSearchResult): RepoItem {
  const facts = [`$(cloud-download) ${formatCount(result.downloads)}`, `$(heart) ${formatCount(result.likes)}`];
  if (result.gated) facts.push('$(lock) gated');
  if (result.private) facts.push('$(eye-closed) private');
  const detail = [result.pipelineTag, result.lastModified ? `updated ${result.lastModified.slice(0, 10)}` : undefined].filter(Boolean).join(' · ');
  return { label: result.id, description: facts.join('  '), ...(detail ? { detail } : {}), repoId: result.id };
}

function typedRepoId(value: string): string | undefined {
  try {
    return validateRepoId(value);
  } catch {
    return undefined;
  }
}

/** "Use org/name" on top when the typed text is a valid repo id the search did not return. */
function typedItem(value: string, results: readonly RepoItem[]): RepoItem | undefined {
  const repoId = typedRepoId(value);
  if (!repoId || !repoId.includes('/') || results.some((r) => r.repoId === repoId)) return undefined;
  return { label: repoId, description: '$(arrow-right) use this repo id', alwaysShow: true, repoId };
}

function validationMessage(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (err) {
    return describeError(err);
  }
}
