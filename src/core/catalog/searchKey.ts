/**
 * Folds text for case-insensitive substring search. SQLite's LIKE and lower() only fold ASCII, so search keys are
 * computed here and stored next to the values they index; the query is folded the same way.
 *
 * Upper-then-lower approximates Unicode full case folding (ß → ss, ς/Σ → σ), NFKC makes compatibility forms
 * (full-width letters, ligatures) match their plain spelling.
 */
export function foldForSearch(text: string): string {
  return text
    .normalize('NFKC')
    .toUpperCase()
    .toLowerCase()
    .replace(/ς/g, 'σ')
    // "İ".toLowerCase() is "i" + combining dot above; users type a plain "i".
    .replace(/i\u0307/g, 'i')
    .normalize('NFKC');
}
