/**
 * Maps label characters to class indices. Characters are classes
 * 0..size-1 in charset order; the pad/blank class is `blank` (default: the
 * last index, `size`, so fixed-length models can ignore it; pass
 * `blank: 'first'` for CTC implementations that expect blank = 0, which
 * shifts characters to 1..size).
 */
export class LabelEncoder {
  readonly chars: string[];
  readonly blank: number;
  /** Number of classes including the blank. */
  readonly numClasses: number;
  private readonly index = new Map<string, number>();
  private readonly offset: number;

  constructor(
    readonly charset: string,
    opts: { blank?: 'first' | 'last' } = {},
  ) {
    this.chars = [...charset];
    if (this.chars.length === 0) throw new Error('charset is empty');
    this.offset = opts.blank === 'first' ? 1 : 0;
    this.chars.forEach((c, i) => {
      if (this.index.has(c)) throw new Error(`charset repeats the character '${c}'`);
      this.index.set(c, i + this.offset);
    });
    this.blank = opts.blank === 'first' ? 0 : this.chars.length;
    this.numClasses = this.chars.length + 1;
  }

  /** The charset of a set of labels: their distinct characters, sorted by code point. */
  static infer(labels: Iterable<string>): string {
    const set = new Set<string>();
    for (const l of labels) for (const c of l) set.add(c);
    return [...set].sort().join('');
  }

  has(ch: string): boolean {
    return this.index.has(ch);
  }

  /** The first character of `label` outside the charset, if any. */
  invalidChar(label: string): string | undefined {
    for (const c of label) if (!this.index.has(c)) return c;
    return undefined;
  }

  /**
   * Class indices of `label`, padded with the blank up to `maxLength` into
   * `out` at `offset`. Throws, naming `source` (a file) if given, on a
   * character outside the charset or a label longer than maxLength.
   */
  encode(label: string, maxLength: number, out: Int32Array = new Int32Array(maxLength), offset = 0, source?: string): Int32Array {
    const chars = [...label];
    const where = source ? `${source}: ` : '';
    if (chars.length > maxLength) throw new Error(`${where}label "${label}" has ${chars.length} characters, more than maxLength ${maxLength}`);
    for (let i = 0; i < maxLength; i++) {
      if (i < chars.length) {
        const k = this.index.get(chars[i]!);
        if (k === undefined) throw new Error(`${where}label "${label}" has the character '${chars[i]}', which is not in the charset "${this.charset}"`);
        out[offset + i] = k;
      } else {
        out[offset + i] = this.blank;
      }
    }
    return out;
  }

  /** The label of class indices, stopping at the first blank. */
  decode(indices: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < indices.length; i++) {
      const k = indices[i]!;
      if (k === this.blank) break;
      const c = this.chars[k - this.offset];
      if (c === undefined) throw new Error(`class index ${k} is outside 0..${this.numClasses - 1}`);
      s += c;
    }
    return s;
  }
}
