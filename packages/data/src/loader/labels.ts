import { basename, extname } from 'node:path';

/** How folder datasets find labels. */
export type LabelSource =
  /** `<label>.png` or `<anything>_<label>.png` (the part after the last `_`). */
  | 'filename'
  /** First capture group of `regex` matched against the file name (with extension). */
  | { regex: RegExp | string }
  /** Line i of a text file labels image `<i>.<ext>` (the seed's `ans.txt` layout). */
  | { file: string; format?: 'lines'; firstIndex?: 0 | 1 | 'auto' }
  /** A CSV `file,label` (header row optional; quotes allowed). */
  | { file: string; format: 'csv' };

/** Label from a file name: `<label>.ext` or `<anything>_<label>.ext`. Undefined when empty. */
export function labelFromFilename(name: string): string | undefined {
  const base = basename(name);
  const stem = base.slice(0, base.length - extname(base).length);
  const us = stem.lastIndexOf('_');
  const label = us >= 0 ? stem.slice(us + 1) : stem;
  return label.length > 0 ? label : undefined;
}

/** Compiles a label regex and checks it has a capture group. */
export function compileLabelRegex(regex: RegExp | string): RegExp {
  let re: RegExp;
  try {
    re = typeof regex === 'string' ? new RegExp(regex) : regex;
  } catch (e) {
    throw new Error(`invalid label regex ${JSON.stringify(String(regex))}: ${(e as Error).message}`);
  }
  // exec() must not carry lastIndex between file names.
  if (re.global || re.sticky) re = new RegExp(re.source, re.flags.replace(/[gy]/g, ''));
  // Count capture groups by matching the empty alternative.
  const groups = new RegExp(`${re.source}|`).exec('')!.length - 1;
  if (groups < 1) throw new Error(`label regex ${re} has no capture group; wrap the label part in ( )`);
  return re;
}

/** Label from a file name with a regex: its first capture group, or undefined when no match / empty. */
export function labelFromRegex(name: string, re: RegExp): string | undefined {
  const m = re.exec(basename(name));
  const label = m?.[1];
  return label !== undefined && label.length > 0 ? label : undefined;
}

/** Lines of a labels file (LF, CRLF or old-Mac CR endings; a leading UTF-8 BOM and trailing whitespace stripped; final empty lines ignored). */
export function parseLabelLines(text: string): string[] {
  const lines = stripBom(text)
    .split(/\r\n|\r|\n/)
    .map((l) => l.replace(/\s+$/, ''));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Text without a leading byte-order mark (Windows editors write one; it would end up in the first label). */
function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Parses one CSV line with RFC 4180 quoting. */
function parseCsvLine(line: string, lineNo: number, where: string): string[] {
  const out: string[] = [];
  let cur = '';
  let i = 0;
  let quoted = false;
  while (i < line.length) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else cur += c;
    } else if (c === '"' && cur === '') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
    i++;
  }
  if (quoted) throw new Error(`${where}labels CSV line ${lineNo}: unterminated quote`);
  out.push(cur);
  return out;
}

/**
 * Parses `file,label` rows; skips a header row whose first cell is 'file' /
 * 'filename' / 'path' / 'image', and a leading UTF-8 BOM. Errors are one line,
 * `<name>: labels CSV line N: ...` (`name`, e.g. the CSV's path, is optional).
 */
export function parseLabelCsv(text: string, name?: string): Array<{ file: string; label: string }> {
  const where = name ? `${name}: ` : '';
  const rows: Array<{ file: string; label: string }> = [];
  const lines = stripBom(text).split(/\r\n|\r|\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const cells = parseCsvLine(line, i + 1, where);
    if (i === 0 && /^(file|filename|path|image)$/i.test(cells[0]!.trim())) return;
    if (cells.length < 2)
      throw new Error(`${where}labels CSV line ${i + 1}: expected "file,label", got ${JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}...` : line)}`);
    rows.push({ file: cells[0]!.trim(), label: cells[1]!.trim() });
  });
  return rows;
}
