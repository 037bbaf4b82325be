import * as vscode from 'vscode';
import { Emitter, type Event } from '../core/events';
import { CONFIG_SECTION, parseConfig, parseProxyConfig, sameProxy, type MistudioConfig, type ProxyConfig } from './config';
import { DisposableStore } from './lifecycle';
import type { ConfigChange, ConfigSource } from './studioHost';

/**
 * The one place that reads settings: `mistudio.*` parsed into a typed MistudioConfig and VS Code's `http.*` proxy
 * settings, re-read when they change. Invalid values are logged and replaced by defaults.
 */
export class ConfigService extends DisposableStore implements ConfigSource {
  private config: MistudioConfig;
  private proxyConfig: ProxyConfig;
  private readonly configEmitter = new Emitter<ConfigChange>();
  private readonly proxyEmitter = new Emitter<ProxyConfig>();
  readonly onDidChange: Event<ConfigChange> = this.configEmitter.event;
  readonly onDidChangeProxy: Event<ProxyConfig> = this.proxyEmitter.event;

  constructor(private readonly log: vscode.LogOutputChannel) {
    super();
    this.config = this.readConfig();
    this.proxyConfig = this.readProxy();
    this.register(this.configEmitter);
    this.register(this.proxyEmitter);
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(CONFIG_SECTION)) {
          const previous = this.config;
          this.config = this.readConfig();
          this.log.info(`Settings changed: ${describeChanges(previous, this.config)}`);
          this.configEmitter.fire({ previous, current: this.config });
        }
        if (e.affectsConfiguration('http')) {
          const next = this.readProxy();
          if (!sameProxy(next, this.proxyConfig)) {
            this.proxyConfig = next;
            this.log.info(next.proxy ? `Hub traffic now goes through the proxy ${redact(next.proxy)}` : 'Hub traffic no longer uses the http.proxy setting');
            this.proxyEmitter.fire(next);
          }
        }
      }),
    );
  }

  get current(): MistudioConfig {
    return this.config;
  }

  get proxy(): ProxyConfig {
    return this.proxyConfig;
  }

  private readConfig(): MistudioConfig {
    const section = vscode.workspace.getConfiguration(CONFIG_SECTION);
    const { value, problems } = parseConfig((key) => section.get(key));
    for (const p of problems) this.log.warn(p);
    return value;
  }

  private readProxy(): ProxyConfig {
    const section = vscode.workspace.getConfiguration('http');
    return parseProxyConfig((key) => section.get(key));
  }
}

function describeChanges(before: MistudioConfig, after: MistudioConfig): string {
  const keys = (Object.keys(after) as Array<keyof MistudioConfig>).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
  return keys.length > 0 ? keys.map((k) => `${k}=${JSON.stringify(after[k])}`).join(', ') : 'none';
}

/** A proxy URL without its password, for the log. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.href;
  } catch {
    return '(unparsable proxy URL)';
  }
}
