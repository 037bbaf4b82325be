/** What the in-VS-Code test runner reports to the harness, one JSON object per line. */
export type SuiteEvent =
  | { type: 'start'; total: number }
  | { type: 'pass'; title: string; durationMs: number }
  | { type: 'fail'; title: string; durationMs: number; error: string }
  | { type: 'pending'; title: string }
  | { type: 'end'; passed: number; failed: number; pending: number; durationMs: number }
  /** A phase is over; the runner reloads the window or kills its extension host, and the next phase follows. */
  | { type: 'phase-end'; passed: number; failed: number; next: 'reload' | 'kill'; remaining: number; durationMs: number }
  | { type: 'crash'; error: string };

export function isSuiteEvent(value: unknown): value is SuiteEvent {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}
