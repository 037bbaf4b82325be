import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { CatalogChange } from '../core/catalog';
import { describeError } from '../core/errors';
import { Emitter, type Disposable, type Event } from '../core/events';
import { resolveEndpoint } from '../core/hub';
import { resolveXetCacheRoot } from '../core/cache/paths';
import type { Dispatcher } from 'undici';
import type { EntryProgress, Logger, StudioApi, StudioOptions } from '../core/studioTypes';
import { cacheRootFor, studioSettingsFor, type MistudioConfig } from './config';

export interface ConfigChange {
  readonly previous: MistudioConfig;
  readonly current: MistudioConfig;
}

export interface ConfigSource {
  readonly current: MistudioConfig;
  readonly onDidChange: Event<ConfigChange>;
}

export interface StudioHostOptions {
  readonly open: (options: StudioOptions) => Promise<StudioApi>;
  readonly catalogFile: string;
  readonly wasmPath: string;
  readonly config: ConfigSource;
  readonly token: () => Promise<string | undefined>;
  readonly fetch?: typeof globalThis.fetch;
  readonly dispatcher?: Dispatcher;
  readonly userAgent?: string;
  readonly logger: Logger;
  /** Catalog warnings and unusable settings the user should see. */
  readonly onWarning: (message: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Owns the engine for the window: opens it lazily on first use (so activation never loads sql.js), applies setting
 * changes live (a new cache folder reopens it, resuming what was running), and re-fires its events so views and
 * notifications subscribe once, whichever engine instance is current.
 */
export class StudioHost implements Disposable {
  private readonly entryEmitter = new Emitter<CatalogChange>();
  private readonly progressEmitter = new Emitter<EntryProgress>();
  private readonly cleanupEmitter = new Emitter<{ readonly running: number }>();
  private readonly openEmitter = new Emitter<StudioApi>();
  readonly onDidChangeEntry: Event<CatalogChange> = this.entryEmitter.event;
  readonly onDidProgress: Event<EntryProgress> = this.progressEmitter.event;
  readonly onDidChangeCleanup: Event<{ readonly running: number }> = this.cleanupEmitter.event;
  /** A (new) engine is open: everything shown from the previous one is stale. */
  readonly onDidOpen: Event<StudioApi> = this.openEmitter.event;

  private opening: Promise<StudioApi> | undefined;
  private studio: StudioApi | undefined;
  private forwarders: Disposable[] = [];
  private readonly configListener: Disposable;
  private closed = false;
  private lastEndpointProblem: string | undefined;

  constructor(private readonly options: StudioHostOptions) {
    this.configListener = options.config.onDidChange((change) => this.onConfigChange(change));
  }

  /** The engine, opening it on first call; concurrent callers share one open. A failed open is retried next call. */
  get(): Promise<StudioApi> {
    if (this.closed) return Promise.reject(new Error('MechInterp Studio is shutting down'));
    this.opening ??= this.openNew({ resumeInFlight: this.options.config.current.resumeOnStartup }).catch((err: unknown) => {
      this.opening = undefined;
      throw err;
    });
    return this.opening;
  }

  /** The engine if it is open already (views render from it without waiting). */
  get current(): StudioApi | undefined {
    return this.studio;
  }

  /** The Hub endpoint in effect (settings, else HF_ENDPOINT, else huggingface.co). */
  get endpoint(): string {
    return this.settings().endpoint;
  }

  get cacheRoot(): string {
    return cacheRootFor(this.options.config.current, this.env);
  }

  /** Closes the open engine and opens a fresh one; downloads that were running continue in the new one. */
  async restart(): Promise<void> {
    const previous = this.opening;
    if (!previous || this.closed) return;
    this.opening = (async () => {
      const old = await previous.catch(() => undefined);
      if (old) await this.closeStudio(old);
      return this.openNew({ resumeInFlight: true });
    })().catch((err: unknown) => {
      this.opening = undefined;
      throw err;
    });
    await this.opening;
  }

  /** Stops transfers (they resume or wait as paused at the next start) and saves the catalog. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.configListener.dispose();
    const studio = await this.opening?.catch(() => undefined);
    if (studio) await this.closeStudio(studio);
    this.opening = undefined;
  }

  dispose(): void {
    void this.close();
    this.entryEmitter.dispose();
    this.progressEmitter.dispose();
    this.cleanupEmitter.dispose();
    this.openEmitter.dispose();
  }

  private get env(): NodeJS.ProcessEnv {
    return this.options.env ?? process.env;
  }

  private async openNew(reconcile: { resumeInFlight: boolean }): Promise<StudioApi> {
    const config = this.options.config.current;
    await mkdir(path.dirname(this.options.catalogFile), { recursive: true });
    const studio = await this.options.open({
      catalogFile: this.options.catalogFile,
      wasmPath: this.options.wasmPath,
      cacheRoot: cacheRootFor(config, this.env),
      xetCacheRoot: resolveXetCacheRoot({ env: this.env }),
      ...this.settings(),
      token: this.options.token,
      ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
      ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
      ...(this.options.userAgent ? { userAgent: this.options.userAgent } : {}),
      logger: this.options.logger,
      onWarning: this.options.onWarning,
    });
    if (this.closed) {
      await studio.close();
      throw new Error('MechInterp Studio is shutting down');
    }
    this.studio = studio;
    this.forwarders = [
      studio.onDidChangeEntry((e) => this.entryEmitter.fire(e)),
      studio.onDidProgress((e) => this.progressEmitter.fire(e)),
      studio.onDidChangeCleanup((e) => this.cleanupEmitter.fire(e)),
    ];
    this.options.logger.info(`Catalog ${this.options.catalogFile}; cache ${studio.cacheRoot}; Hub ${this.endpoint}`);
    // reconcile() marks or schedules in-flight downloads before its first await, so no command sees a stale state;
    // the slower part (cleanup jobs, checking ready entries on disk) goes on in the background.
    studio.reconcile(reconcile).catch((err: unknown) => this.options.logger.error(`Checking the catalog against the cache: ${describeError(err)}`));
    this.openEmitter.fire(studio);
    return studio;
  }

  private async closeStudio(studio: StudioApi): Promise<void> {
    for (const d of this.forwarders.splice(0)) d.dispose();
    if (this.studio === studio) this.studio = undefined;
    await studio.close().catch((err: unknown) => this.options.logger.error(`Closing the catalog: ${describeError(err)}`));
  }

  /** Engine settings from the current config; an unusable endpoint falls back to the default and is reported once. */
  private settings(): ReturnType<typeof studioSettingsFor> {
    const config = this.options.config.current;
    try {
      const settings = studioSettingsFor(config, this.env);
      this.lastEndpointProblem = undefined;
      return settings;
    } catch (err) {
      const problem = describeError(err);
      if (problem !== this.lastEndpointProblem) {
        this.lastEndpointProblem = problem;
        this.options.onWarning(`${problem} (setting mistudio.hubEndpoint); using ${resolveEndpoint({ env: this.env })} instead.`);
      }
      return studioSettingsFor({ ...config, hubEndpoint: '' }, this.env);
    }
  }

  private onConfigChange(change: ConfigChange): void {
    if (!this.opening || this.closed) return;
    const cacheMoved = cacheRootFor(change.previous, this.env) !== cacheRootFor(change.current, this.env);
    if (cacheMoved) {
      this.options.logger.info(`Cache folder changed to ${cacheRootFor(change.current, this.env)}; reopening the catalog`);
      this.restart().catch((err: unknown) => this.options.onWarning(`Could not reopen the catalog: ${describeError(err)}`));
      return;
    }
    void this.opening.then(
      (studio) => studio.updateSettings(this.settings()),
      () => undefined,
    );
  }
}
