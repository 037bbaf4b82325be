/**
 * What one server may cost us, whoever it is: the Hub, a mirror, a proxy or something hostile behind
 * `HF_ENDPOINT`. Every metadata request has a deadline and a byte cap, every listing a page and file cap, every
 * file transfer a floor under its throughput. The defaults are far beyond what huggingface.co needs; each is a
 * setting (StudioSettings.network, `mistudio.network.*` in VS Code) for the user whose mirror needs more.
 */
export interface NetworkLimits {
  /** A metadata request (repo info, one listing page, search, a config file) from sending to its last byte. */
  readonly requestTimeoutMs: number;
  /** The largest JSON answer (or small file) read into memory; a larger one fails "answered more than N MB". */
  readonly maxJsonBytes: number;
  /** The most files one listing may name. */
  readonly maxListingFiles: number;
  /** The most pages one listing may take (a server paginating forever stops here, as one looping does at once). */
  readonly maxListingPages: number;
  /**
   * The slowest a file transfer may go, in bytes per second averaged over `throughputWindowMs`; a response slower
   * than that is cut and retried, and the download fails naming the host once retries run out. 0 turns it off.
   */
  readonly minBytesPerSecond: number;
  /** The span the throughput floor is measured over. */
  readonly throughputWindowMs: number;
}

export const DEFAULT_NETWORK_LIMITS: NetworkLimits = {
  requestTimeoutMs: 60_000,
  maxJsonBytes: 32_000_000,
  maxListingFiles: 1_000_000,
  maxListingPages: 10_000,
  minBytesPerSecond: 1000,
  throughputWindowMs: 60_000,
};

/** Defaults for what is missing; a value that is not a finite number ≥ its minimum is ignored. */
export function resolveNetworkLimits(partial: Partial<NetworkLimits> | undefined): NetworkLimits {
  const pick = (key: keyof NetworkLimits, min: number): number => {
    const value = partial?.[key];
    return value !== undefined && Number.isFinite(value) && value >= min ? Math.floor(value) : DEFAULT_NETWORK_LIMITS[key];
  };
  return {
    requestTimeoutMs: pick('requestTimeoutMs', 1),
    maxJsonBytes: pick('maxJsonBytes', 1024),
    maxListingFiles: pick('maxListingFiles', 1),
    maxListingPages: pick('maxListingPages', 1),
    minBytesPerSecond: pick('minBytesPerSecond', 0),
    throughputWindowMs: pick('throughputWindowMs', 1),
  };
}

/** "300 ms", "60 s": a limit's span in messages. */
export function describeDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Math.round(ms / 1000)} s`;
}

/** "32 MB", "1.5 MB", "512 kB": byte caps as messages name them (decimal units, as formatBytes). */
export function describeCap(bytes: number): string {
  if (bytes >= 1_000_000) return `${Number((bytes / 1_000_000).toFixed(bytes % 1_000_000 === 0 ? 0 : 1))} MB`;
  if (bytes >= 1_000) return `${Math.round(bytes / 1_000)} kB`;
  return `${bytes} B`;
}
