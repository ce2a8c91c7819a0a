import { describe, expect, it } from 'vitest';
import { alignEdits } from './editDistance';

const chars = (s: string) => [...s];
const edits = (t: string, p: string) =>
  alignEdits(chars(t), chars(p))
    .ops.filter((o) => o.op !== 'match')
    .map((o) => `${o.truth || '_'}>${o.pred || '_'}`);

describe('alignEdits', () => {
  it('gives the Levenshtein distance (hand-computed cases)', () => {
    expect(alignEdits(chars('kitten'), chars('sitting')).distance).toBe(3);
    expect(alignEdits(chars(''), chars('abc')).distance).toBe(3);
    expect(alignEdits(chars('abc'), chars('')).distance).toBe(3);
    expect(alignEdits(chars('abcd'), chars('abcd')).distance).toBe(0);
    expect(alignEdits(chars('abcd'), chars('bcde')).distance).toBe(2);
  });

  it('names substitutions, deletions and insertions, and the ops spell both strings', () => {
    expect(edits('kitten', 'sitting')).toEqual(['k>s', 'e>i', '_>g']);
    expect(edits('abcd', 'bcde')).toEqual(['a>_', '_>e']);
    expect(edits('aab', 'ab')).toEqual(['a>_']);
    expect(edits('abcd', 'axcy')).toEqual(['b>x', 'd>y']); // equal lengths: position by position
    const { ops, distance } = alignEdits(chars('h3llo w0rld'), chars('hello world!'));
    expect(ops.map((o) => o.truth).join('')).toBe('h3llo w0rld');
    expect(ops.map((o) => o.pred).join('')).toBe('hello world!');
    expect(ops.filter((o) => o.op !== 'match').length).toBe(distance);
  });
});
