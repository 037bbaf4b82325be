import { isCancellation, isMistudioError, describeError, type ErrorCode, type ErrorDetails } from '../core/errors';
import { formatBytes } from '../core/progress';

/**
 * Errors are typed in the core and worded here: each code becomes one sentence a user can act on, plus the buttons
 * that fix it. Pure, so every code's wording and actions are unit-tested. A cancel is not an error and yields nothing.
 */
export type ErrorAction = 'signIn' | 'requestAccess' | 'retry' | 'showLog' | 'openSettings';

export const ERROR_ACTION_LABELS: Readonly<Record<ErrorAction, string>> = {
  signIn: 'Sign In',
  requestAccess: 'Request Access',
  retry: 'Retry',
  showLog: 'Show Log',
  openSettings: 'Open Settings',
};

export interface Problem {
  readonly code: ErrorCode | null;
  readonly message: string;
  readonly details?: ErrorDetails;
}

export interface ProblemContext {
  /** The repo the failed action was about. */
  readonly repoId?: string;
  /** The repo's page on the Hub (where access is requested). */
  readonly repoUrl?: string;
  /** A Hugging Face token is in use (so "sign in" means "with another token"). */
  readonly signedIn?: boolean;
  /** The action can simply be run again (a download, not a dialog). */
  readonly retryable?: boolean;
}

export interface ErrorPresentation {
  readonly message: string;
  readonly actions: readonly ErrorAction[];
  /** Where "Request Access" goes. */
  readonly url?: string;
  /** Which setting "Open Settings" opens. */
  readonly setting?: string;
}

export function problemFrom(err: unknown): Problem | undefined {
  if (isCancellation(err)) return undefined;
  if (isMistudioError(err)) return { code: err.code, message: err.message, details: err.details };
  return { code: null, message: describeError(err) };
}

export function presentError(problem: Problem, context: ProblemContext = {}): ErrorPresentation | undefined {
  if (problem.code === 'Cancelled') return undefined;
  const repoId = problem.details?.repoId ?? context.repoId;
  const about = (text: string): string => (repoId && !text.includes(repoId) ? `${repoId}: ${text}` : text);
  const retry: ErrorAction[] = context.retryable ? ['retry'] : [];
  const message = oneLine(problem.message);
  switch (problem.code) {
    case 'Gated': {
      const url = problem.details?.url ?? context.repoUrl;
      const how = context.signedIn
        ? 'your account has no access yet. Request access on its page (and sign in with another token if you use one).'
        : 'this repo is gated. Request access on its page, then sign in with a Hugging Face token.';
      return { message: about(how), actions: ['requestAccess', 'signIn', ...retry, 'showLog'], ...(url ? { url } : {}) };
    }
    case 'Unauthorized':
      return {
        message: about(context.signedIn ? 'the Hub refused your token. Sign in again with a valid token.' : 'the Hub needs a token for this. Sign in to Hugging Face.'),
        actions: ['signIn', ...retry, 'showLog'],
      };
    case 'RepoNotFound':
      return {
        message: about(context.signedIn ? 'not found on the Hub. Check the spelling.' : 'not found on the Hub. Check the spelling, or sign in if it is private.'),
        actions: context.signedIn ? ['showLog'] : ['signIn', 'showLog'],
      };
    case 'RevisionNotFound':
      return { message: about(message), actions: ['showLog'] };
    case 'Offline':
      return {
        message: about(`${trimStop(message)}. Check your connection, the mistudio.hubEndpoint setting and VS Code's http.proxy setting.`),
        actions: [...retry, 'openSettings', 'showLog'],
        setting: 'mistudio.hubEndpoint',
      };
    case 'NoSpace': {
      const needed = problem.details?.neededBytes;
      const free = problem.details?.freeBytes;
      const sizes = needed !== undefined && free !== undefined ? `needs ${formatBytes(needed)}, only ${formatBytes(free)} free` : trimStop(message);
      const where = problem.details?.path ? ` on ${problem.details.path}` : '';
      return {
        message: about(`not enough disk space: ${sizes}${where}. Free some space or choose another cache folder.`),
        actions: [...retry, 'openSettings', 'showLog'],
        setting: 'mistudio.cacheDir',
      };
    }
    case 'RateLimited': {
      const wait = problem.details?.retryAfterSeconds;
      return { message: about(`the Hub is rate limiting requests${wait ? `; try again in ${wait} s` : ''}.`), actions: [...retry, 'showLog'] };
    }
    case 'ChecksumMismatch':
      return { message: about(`${trimStop(message)}. The damaged file was discarded; retrying downloads it again.`), actions: [...retry, 'showLog'] };
    case 'InvalidInput':
      return { message: about(message), actions: [] };
    default:
      return { message: about(message), actions: [...retry, 'showLog'] };
  }
}

function oneLine(text: string): string {
  return (text.split(/\r?\n/)[0] ?? '').trim() || 'Something went wrong';
}

function trimStop(text: string): string {
  return text.replace(/[.\s]+$/, '');
}
