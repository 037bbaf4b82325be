import type { SuiteEvent } from '../integration/events';

/** Prints suite events like a test runner does and keeps the tally. */
export class Summary {
  passed = 0;
  failed = 0;
  pending = 0;
  readonly failures: Array<{ title: string; error: string }> = [];

  constructor(private readonly label: string) {}

  record(event: SuiteEvent): void {
    switch (event.type) {
      case 'start':
        process.stdout.write(`\n${this.label}: ${event.total} tests\n`);
        break;
      case 'pass':
        this.passed++;
        process.stdout.write(`  ✓ ${event.title} (${event.durationMs} ms)\n`);
        break;
      case 'fail':
        this.failed++;
        this.failures.push({ title: event.title, error: event.error });
        process.stdout.write(`  ✗ ${event.title} (${event.durationMs} ms)\n`);
        break;
      case 'pending':
        this.pending++;
        process.stdout.write(`  - ${event.title} (pending)\n`);
        break;
      case 'crash':
        this.failed++;
        this.failures.push({ title: 'test runner crashed', error: event.error });
        break;
      case 'phase-end':
        process.stdout.write(`  … ${event.next === 'reload' ? 'reloading the window' : 'killing the extension host (SIGKILL)'} for ${event.remaining} more test(s)\n`);
        break;
      case 'end':
        break;
    }
  }

  /** The closing block; its last line is the plain "N passed, N failed" CI reads. */
  print(): void {
    for (const [i, f] of this.failures.entries()) {
      process.stdout.write(`\n  ${i + 1}) ${f.title}\n${indent(f.error)}\n`);
    }
    const skipped = this.pending > 0 ? `, ${this.pending} skipped` : '';
    process.stdout.write(`\n${this.label}: ${this.passed} passed, ${this.failed} failed${skipped}\n`);
  }

  get ok(): boolean {
    return this.failed === 0 && this.passed > 0;
  }
}

function indent(text: string): string {
  return text.split('\n').map((l) => `     ${l}`).join('\n');
}
