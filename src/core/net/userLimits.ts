import type { NetworkLimits } from './limits';

/**
 * The network limits as users set them — the `mistudio.network.*` settings in VS Code, `MISTUDIO_*` environment
 * variables for the CLI — in the units people think in, with the ranges both accept.
 */
export interface UserNetworkLimits {
  /** A metadata request from sending to its last byte. */
  readonly requestTimeoutSeconds: number;
  /** The largest metadata answer (repo info, a listing page) read into memory. */
  readonly maxMetadataMB: number;
  /** The most files a repo's listing may name. */
  readonly maxRepoFiles: number;
  /** The slowest a file transfer may go (averaged over a minute) before it is retried, then fails; 0 turns it off. */
  readonly minDownloadSpeedKBps: number;
}

export const DEFAULT_USER_NETWORK_LIMITS: UserNetworkLimits = { requestTimeoutSeconds: 60, maxMetadataMB: 32, maxRepoFiles: 1_000_000, minDownloadSpeedKBps: 1 };

/** The range each limit accepts. */
export const USER_NETWORK_LIMIT_RANGES: Readonly<Record<keyof UserNetworkLimits, { readonly min: number; readonly max: number; readonly integer: boolean }>> = {
  requestTimeoutSeconds: { min: 5, max: 3600, integer: true },
  maxMetadataMB: { min: 1, max: 2048, integer: true },
  maxRepoFiles: { min: 1000, max: 100_000_000, integer: true },
  minDownloadSpeedKBps: { min: 0, max: 1_000_000, integer: false },
};

/** The CLI's environment variable for each limit. */
export const USER_NETWORK_LIMIT_ENV: Readonly<Record<keyof UserNetworkLimits, string>> = {
  requestTimeoutSeconds: 'MISTUDIO_REQUEST_TIMEOUT_SECONDS',
  maxMetadataMB: 'MISTUDIO_MAX_METADATA_MB',
  maxRepoFiles: 'MISTUDIO_MAX_REPO_FILES',
  minDownloadSpeedKBps: 'MISTUDIO_MIN_DOWNLOAD_SPEED_KBPS',
};

/**
 * Every limit from `read` (undefined: not set, the default applies). A value out of range is reported to `onBad`
 * with the range in words, for a one-line complaint, and the default is kept — unless `onBad` throws.
 */
export function readUserNetworkLimits(read: (key: keyof UserNetworkLimits) => unknown, onBad: (key: keyof UserNetworkLimits, expected: string) => void): UserNetworkLimits {
  const limits: Record<keyof UserNetworkLimits, number> = { ...DEFAULT_USER_NETWORK_LIMITS };
  for (const key of Object.keys(USER_NETWORK_LIMIT_RANGES) as Array<keyof UserNetworkLimits>) {
    const raw = read(key);
    if (raw === undefined || raw === null) continue;
    const { min, max, integer } = USER_NETWORK_LIMIT_RANGES[key];
    if (typeof raw === 'number' && Number.isFinite(raw) && (!integer || Number.isInteger(raw)) && raw >= min && raw <= max) limits[key] = raw;
    else onBad(key, `a ${integer ? 'whole ' : ''}number from ${min} to ${max}`);
  }
  return limits;
}

/** What the engine takes: milliseconds and bytes (decimal, as the settings say). */
export function networkLimitsFor(user: UserNetworkLimits): Partial<NetworkLimits> {
  return {
    requestTimeoutMs: user.requestTimeoutSeconds * 1000,
    maxJsonBytes: user.maxMetadataMB * 1_000_000,
    maxListingFiles: user.maxRepoFiles,
    minBytesPerSecond: Math.round(user.minDownloadSpeedKBps * 1000),
  };
}
