import { describeError } from '../core/errors';
import { Emitter, type Disposable, type Event } from '../core/events';
import { resolveToken } from '../core/hub';
import type { Logger } from '../core/studioTypes';

/** The part of vscode.SecretStorage this needs (so tests can use a Map). */
export interface SecretStore {
  get(key: string): PromiseLike<string | undefined>;
  store(key: string, value: string): PromiseLike<void>;
  delete(key: string): PromiseLike<void>;
  readonly onDidChange: (listener: (e: { readonly key: string }) => unknown) => Disposable;
}

export const TOKEN_SECRET_KEY = 'mistudio.huggingFaceToken';

/**
 * The Hugging Face token for Hub requests: the one the user signed in with (kept in VS Code's SecretStorage, never in
 * settings), else what Python's huggingface_hub would use (HF_TOKEN, the `hf auth login` token file). Asked before every
 * request, so a sign-in or sign-out applies at once, also when another window of the same profile did it.
 */
export class TokenStore implements Disposable {
  private cached: Promise<string | undefined> | undefined;
  private readonly changes = new Emitter<void>();
  readonly onDidChange: Event<void> = this.changes.event;
  private readonly listener: Disposable;

  constructor(
    private readonly secrets: SecretStore,
    private readonly logger: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.listener = secrets.onDidChange((e) => {
      if (e.key !== TOKEN_SECRET_KEY) return;
      this.cached = undefined;
      this.changes.fire();
    });
  }

  /** The token to send, if any. */
  async token(): Promise<string | undefined> {
    const stored = await this.stored();
    if (stored) return stored;
    try {
      return await resolveToken({ env: this.env });
    } catch (err) {
      this.logger.warn(describeError(err));
      return undefined;
    }
  }

  /** The token signed in through VS Code (not the environment's). */
  stored(): Promise<string | undefined> {
    this.cached ??= Promise.resolve(this.secrets.get(TOKEN_SECRET_KEY)).then(
      (t) => (t && t.trim() !== '' ? t.trim() : undefined),
      (err: unknown) => {
        this.logger.warn(`Reading the stored token: ${describeError(err)}`);
        this.cached = undefined;
        return undefined;
      },
    );
    return this.cached;
  }

  async store(token: string): Promise<void> {
    await this.secrets.store(TOKEN_SECRET_KEY, token.trim());
    this.cached = Promise.resolve(token.trim());
    this.changes.fire();
  }

  async clear(): Promise<void> {
    await this.secrets.delete(TOKEN_SECRET_KEY);
    this.cached = Promise.resolve(undefined);
    this.changes.fire();
  }

  dispose(): void {
    this.listener.dispose();
    this.changes.dispose();
  }
}

/** Hugging Face user access tokens start with "hf_"; anything else is almost certainly a paste mistake. */
export function validateTokenShape(text: string): string | undefined {
  const token = text.trim();
  if (token === '') return 'Paste a Hugging Face access token (huggingface.co/settings/tokens).';
  if (/\s/.test(token)) return 'A token has no spaces.';
  if (!token.startsWith('hf_')) return 'Hugging Face tokens start with "hf_".';
  if (token.length < 8 || token.length > 512) return 'That does not look like a Hugging Face token.';
  return undefined;
}
