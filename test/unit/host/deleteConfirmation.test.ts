import { describe, expect, it } from 'vitest';
import { deleteConfirmation } from '../../../src/host/deleteConfirmation';

const MB = 1_000_000;

describe('the delete confirmation', () => {
  it('names what is freed and, when no one else holds the files, that Python will download again', () => {
    expect(deleteConfirmation('gpt2@main', [{ freedBytes: 12 * MB, heldBy: [] }], '/cache/hub')).toEqual({
      message: 'Delete gpt2@main?',
      detail: 'Frees 12.0 MB in /cache/hub. Python code that loads it will download again.',
    });
  });

  it('says which other catalogs keep the files, with their revisions', () => {
    const { detail } = deleteConfirmation('gpt2@main', [{ freedBytes: 0, heldBy: [{ catalog: '/path/to/other/catalog.sqlite', revision: 'main' }] }], '/cache/hub');
    expect(detail).toBe('Frees 0 B in /cache/hub. Its files stay for 1 other catalog: /path/to/other/catalog.sqlite (main).');
  });

  it('groups several entries\' holders by catalog and names other entries of this catalog, commits shortened', () => {
    const commit = 'a'.repeat(40);
    const { message, detail } = deleteConfirmation(
      '2 entries',
      [
        { freedBytes: MB, heldBy: [{ catalog: '/w1/catalog.sqlite', revision: 'main' }, { catalog: null, revision: commit }] },
        { freedBytes: MB, heldBy: [{ catalog: '/w1/catalog.sqlite', revision: 'v2' }, { catalog: '/cli/catalog.sqlite', revision: 'main' }] },
      ],
      '/cache/hub',
    );
    expect(message).toBe('Delete 2 entries?');
    expect(detail).toBe(
      'Frees 2.0 MB in /cache/hub. Their files stay for 2 other catalogs: /w1/catalog.sqlite (main, v2); /cli/catalog.sqlite (main), and for 1 other entry of this catalog (aaaaaaaaaaaa).',
    );
  });
});
