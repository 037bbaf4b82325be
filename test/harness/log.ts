/** Harness messages go to stderr so a test runner's stdout stays clean. */
export function log(message: string): void {
  process.stderr.write(`[harness] ${message}\n`);
}
