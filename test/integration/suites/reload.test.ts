import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';

// Proves the two-phase runner itself: a test tagged @after-reload runs after the window reloaded, in a new extension
// host, and sees what the first phase left on disk.
function markerFile(): string {
  const results = process.env.MISTUDIO_TEST_RESULT;
  assert.ok(results, 'runs under the code-server harness');
  return `${results}.reload-marker.json`;
}

describe('Window reload', () => {
  it('writes state before the reload', async () => {
    await fs.writeFile(markerFile(), JSON.stringify({ pid: process.pid }));
  });

  it('finds it after the reload, in a new extension host @after-reload', async () => {
    const marker = JSON.parse(await fs.readFile(markerFile(), 'utf8')) as { pid: number };
    assert.notEqual(marker.pid, process.pid, 'a new extension host process runs after the reload');
  });
});
