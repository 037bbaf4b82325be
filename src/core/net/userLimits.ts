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

/** The value if it is in range, else undefined; `expected` words the range for a one-line complaint. */
export function checkUserNetworkLimit(key: keyof UserNetworkLimits, raw: unknown): { value?: number; expected: string } {
  const { min, max, integer } = USER_NETWORK_LIMIT_RANGES[key];
  const expected = `a ${integer ? 'whole ' : ''}number from ${min} to ${max}`;
  const ok = typeof raw === 'number' && Number.isFinite(raw) && (!integer || Number.isInteger(raw)) && raw >= min && raw <= max;
  return ok ? { value: raw, expected } : { expected };
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
