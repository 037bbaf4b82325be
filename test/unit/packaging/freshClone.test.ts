import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageVsix } from '../../harness/vsix';

// The README's `npm run package` on a fresh clone: the tracked (and new, not ignored) files of this checkout copied
// to an empty folder — no dist/, no out/ — with this checkout's node_modules linked in (npm ci would need the
// network and minutes). It runs the harness's packaging, the same the VS Code tests install.
const repoRoot = path.resolve(__dirname, '..', '..', '..');

function cleanTreeFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot, encoding: 'utf8' });
  // Files deleted in the working tree but not yet in the index are listed too: a clone of the change has none of them.
  return listed.split('\0').filter((file) => file !== '' && fs.existsSync(path.join(repoRoot, file)));
}

/** The .vsix is a zip; python3 is on every machine the tests run on (.ci/run installs it), unzip may not be. */
function vsixEntries(vsix: string): string[] {
  const listing = execFileSync('python3', ['-c', 'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))', vsix], { encoding: 'utf8' });
  return listing.split('\n').filter((line) => line !== '');
}

describe('npm run package on a fresh clone', () => {
  let clone: string;
  beforeAll(() => {
    clone = fs.mkdtempSync(path.join(os.tmpdir(), 'mistudio-fresh-clone-'));
    for (const file of cleanTreeFiles()) {
      fs.mkdirSync(path.dirname(path.join(clone, file)), { recursive: true });
      fs.copyFileSync(path.join(repoRoot, file), path.join(clone, file));
    }
    fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(clone, 'node_modules'), 'junction');
  });
  afterAll(() => fs.rmSync(clone, { recursive: true, force: true }));

  it('packs out/mistudio.vsix with what runs, koffi’s native modules included, and nothing else', { timeout: 300_000 }, () => {
    expect(fs.existsSync(path.join(clone, 'out'))).toBe(false);
    expect(fs.existsSync(path.join(clone, 'dist'))).toBe(false);

    const entries = vsixEntries(packageVsix(clone));

    for (const shipped of ['package.json', 'readme.md', 'dist/extension.js', 'dist/cli.js', 'dist/webview.js', 'dist/webview.css', 'dist/sql-wasm.wasm', 'dist/codicons/codicon.css', 'dist/native/koffi/index.cjs', 'media/activitybar.svg']) {
      expect(entries, shipped).toContain(`extension/${shipped}`);
    }
    // This machine's native lock module at least (the others are fetched from npm when reachable).
    const native = `extension/dist/native/@koromix/koffi-${process.platform}-${process.arch}/`;
    expect(entries.some((e) => e.startsWith(native) && e.endsWith('.node')), native).toBe(true);
    const unwanted = entries.filter((e) => /^extension\/(src|test|bench|node_modules|out|docs)\//.test(e) || e.endsWith('.map') || e.endsWith('.ts'));
    expect(unwanted).toEqual([]);
  });
});
