/** huggingface_hub's reading of a boolean environment variable (constants._is_true): 1, ON, YES or TRUE, any case. */
export function isOfflineEnv(env: Readonly<Record<string, string | undefined>>): boolean {
  return ['1', 'ON', 'YES', 'TRUE'].includes((env.HF_HUB_OFFLINE ?? '').trim().toUpperCase());
}
