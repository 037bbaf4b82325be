import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogFileFor } from '../../../src/host/catalogLocation';

const WS = path.join('/home/u/.vscode-server/data/User/workspaceStorage');

describe('catalogFileFor', () => {
  it('puts the catalog in the workspace storage folder', () => {
    expect(catalogFileFor(path.join(WS, 'a1b2c3', 'mistudio.mistudio'))).toBe(path.join(WS, 'a1b2c3', 'mistudio.mistudio', 'catalog.sqlite'));
  });

  it('ignores the -N suffix VS Code adds while another extension host holds the lock', () => {
    for (const suffix of ['-1', '-2', '-10']) {
      expect(catalogFileFor(path.join(WS, `a1b2c3${suffix}`, 'mistudio.mistudio'))).toBe(path.join(WS, 'a1b2c3', 'mistudio.mistudio', 'catalog.sqlite'));
    }
  });

  it('keeps ids that merely contain dashes', () => {
    expect(catalogFileFor(path.join(WS, '-602e194', 'mistudio.mistudio'))).toBe(path.join(WS, '-602e194', 'mistudio.mistudio', 'catalog.sqlite'));
    expect(catalogFileFor(path.join(WS, '-602e194-1', 'mistudio.mistudio'))).toBe(path.join(WS, '-602e194', 'mistudio.mistudio', 'catalog.sqlite'));
  });

  it('uses global storage as it is', () => {
    const global = '/home/u/.vscode-server/data/User/globalStorage/mistudio.mistudio';
    expect(catalogFileFor(global)).toBe(path.join(global, 'catalog.sqlite'));
  });
});
