import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openFolderDataset } from './loader/folder';
import { tempDir } from './test/helpers';
import { answerKey, compareAnswers, generateThirdParty, THIRD_PARTY, THIRD_PARTY_GENERATORS, thirdPartyProblem } from './thirdParty';

const tmp = tempDir();
// Each call starts an interpreter (Django also sets up and migrates its database): seconds on a busy machine.
const SLOW = 180_000;
afterAll(tmp.cleanup);

const bytesOf = (dir: string) => Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f)).toString('base64')]));

for (const g of THIRD_PARTY_GENERATORS) {
  const info = THIRD_PARTY[g];
  const problem = thirdPartyProblem(g);
  // Not silent: the skip names the packages, in the test's name and on stderr (scripts/left-out.mjs repeats it after npm test).
  if (problem) console.warn(`thirdParty.test.ts: the ${g} tests are SKIPPED: ${problem}`);
  describe.skipIf(problem !== undefined)(`${info.library}${problem ? ` (SKIPPED: ${problem})` : ''}`, () => {
    it(
      'is deterministic: the same seed and index give the same bytes and labels, whatever the start',
      async () => {
        const a = join(tmp.dir, `${g}-a`);
        const b = join(tmp.dir, `${g}-b`);
        const c = join(tmp.dir, `${g}-c`);
        const d = join(tmp.dir, `${g}-d`);
        const written = await generateThirdParty({ generator: g, count: 6, seed: 's', out: a });
        await generateThirdParty({ generator: g, count: 6, seed: 's', out: b });
        await generateThirdParty({ generator: g, count: 3, seed: 's', start: 3, out: c });
        await generateThirdParty({ generator: g, count: 6, seed: 't', out: d });
        const A = bytesOf(a);
        expect(Object.keys(A).sort()).toEqual(written.map((w) => w.file).sort());
        expect(bytesOf(b)).toEqual(A);
        const C = bytesOf(c);
        expect(Object.keys(C).sort()).toEqual(
          written
            .slice(3)
            .map((w) => w.file)
            .sort(),
        );
        for (const f of Object.keys(C)) expect(C[f]).toBe(A[f]);
        // Another seed draws other texts.
        expect(Object.keys(bytesOf(d)).sort()).not.toEqual(Object.keys(A).sort());
      },
      SLOW,
    );

    it(
      "writes <index>_<label> files in the library's charset and length that the folder loader reads back",
      async () => {
        const out = join(tmp.dir, `${g}-labels`);
        const written = await generateThirdParty({ generator: g, count: 40, seed: 'labels', start: 10, out });
        expect(written.map((w) => w.file)).toEqual(written.map((w, i) => `${10 + i}_${w.label}.${info.ext}`));
        expect(readdirSync(out)).toHaveLength(40);
        const chars = new Set(written.flatMap((w) => [...w.label]));
        for (const w of written) expect(w.label).toHaveLength(info.length);
        for (const ch of chars) expect(info.charset).toContain(ch);
        if (g === 'gregwar') {
          // Labels are as drawn: mixed case (40 x 5 draws from 61 characters miss neither case).
          expect([...chars].some((ch) => /[a-z]/.test(ch)) && [...chars].some((ch) => /[A-Z]/.test(ch))).toBe(true);
        }
        const ds = await openFolderDataset(out, { size: { width: 200, height: 80 }, fit: 'pad', verify: 'decode', strict: true });
        expect(ds.entries.map((e) => e.label).sort()).toEqual(written.map((w) => w.label).sort());
        if (info.size !== 'varies') {
          const native = await openFolderDataset(out, { verify: 'structure' });
          expect(`${native.width}x${native.height}`).toBe(info.size);
        }
      },
      SLOW,
    );
  });
}

const railsProblem = thirdPartyProblem('rails-simplecaptcha');
describe.skipIf(railsProblem !== undefined)(`simple_captcha2's two settings${railsProblem ? ` (SKIPPED: ${railsProblem})` : ''}`, () => {
  it(
    'draw the same texts from the same seed (the text is drawn first) in other styles',
    async () => {
      const plain = join(tmp.dir, 'rails-plain');
      const random = join(tmp.dir, 'rails-random');
      const a = await generateThirdParty({ generator: 'rails-simplecaptcha', count: 4, seed: 'same', out: plain });
      const b = await generateThirdParty({ generator: 'rails-simplecaptcha-random', count: 4, seed: 'same', out: random });
      expect(b.map((w) => w.label)).toEqual(a.map((w) => w.label));
      const A = bytesOf(plain);
      const B = bytesOf(random);
      for (const f of Object.keys(A)) expect(B[f]).not.toBe(A[f]);
    },
    SLOW,
  );
});

describe('third-party generators without their library', () => {
  const names = ['CAPTCHA_NN_PHP', 'CAPTCHA_NN_PYTHON', 'CAPTCHA_NN_PERL', 'CAPTCHA_NN_RUBY'] as const;
  const saved = names.map((k) => process.env[k]);
  afterEach(() => {
    names.forEach((k, i) => {
      if (saved[i] === undefined) delete process.env[k];
      else process.env[k] = saved[i];
    });
  });

  it('name the Debian packages to install', async () => {
    process.env.CAPTCHA_NN_PHP = '/nonexistent/php';
    process.env.CAPTCHA_NN_PYTHON = '/nonexistent/python3';
    process.env.CAPTCHA_NN_PERL = '/nonexistent/perl';
    process.env.CAPTCHA_NN_RUBY = '/nonexistent/ruby';
    expect(thirdPartyProblem('gregwar')).toMatch(/apt-get install php-cli php-gregwar-captcha/);
    expect(thirdPartyProblem('securityimage-cgiapp')).toMatch(/needs \/nonexistent\/perl.*apt-get install libgd-securityimage-perl fonts-liberation$/);
    expect(thirdPartyProblem('rails-simplecaptcha-random')).toMatch(
      /needs \/nonexistent\/ruby.*apt-get install ruby-simple-captcha2 imagemagick fonts-liberation$/,
    );
    await expect(generateThirdParty({ generator: 'django', count: 1, seed: '1', out: join(tmp.dir, 'none') })).rejects.toThrow(
      /^generate: django-simple-captcha needs \/nonexistent\/python3.*apt-get install python3-django-captcha/,
    );
    await expect(generateThirdParty({ generator: 'x' as never, count: 1, seed: '1', out: tmp.dir })).rejects.toThrow(/unknown third-party generator "x"/);
  });

  it("pass on the driver's own reason, from the checks a run makes (`--probe`)", () => {
    const fake = (name: string, body: string) => {
      const path = join(tmp.dir, name);
      writeFileSync(path, `#!/bin/sh\n${body}\n`);
      chmodSync(path, 0o755);
      return path;
    };
    process.env.CAPTCHA_NN_PERL = fake('perl-font-missing', 'echo "a font is missing ($*): apt-get install fonts-example" >&2; exit 3');
    expect(thirdPartyProblem('securityimage-cgiapp')).toMatch(
      /^GD::SecurityImage .*cannot run with .*perl-font-missing: a font is missing \(\S*\/scripts\/gd_securityimage\.pl cgiapp --probe\): apt-get install fonts-example$/,
    );
    // No reason given: the packages the generator needs.
    process.env.CAPTCHA_NN_RUBY = fake('ruby-silent', 'exit 1');
    expect(thirdPartyProblem('rails-simplecaptcha')).toMatch(
      /ended with exit 1 and no message \(apt-get install ruby-simple-captcha2 imagemagick fonts-liberation\)$/,
    );
    process.env.CAPTCHA_NN_PHP = fake('php-ready', 'test "$2" = --probe');
    expect(thirdPartyProblem('gregwar')).toBeUndefined();
  });
});

describe('compareAnswers: how each site checks an answer', () => {
  it('gregwar lower-cases both and maps 0 to o and 1 to l (PhraseBuilder::comparePhrases)', () => {
    expect(compareAnswers('AbC1o', 'abcl0', 'gregwar')).toBe(true);
    expect(compareAnswers('abcdl', 'abcdi', 'gregwar')).toBe(false);
    expect(answerKey('X01y', 'gregwar')).toBe('xoly');
  });
  it('django and lower ignore case only; exact is case-sensitive', () => {
    expect(compareAnswers('wozj', 'WOZJ', 'django')).toBe(true);
    expect(compareAnswers('w0zj', 'WOZJ', 'django')).toBe(false);
    expect(compareAnswers('abc', 'ABC', 'lower')).toBe(true);
    expect(compareAnswers('abc', 'ABC', 'exact')).toBe(false);
    expect(compareAnswers('ABC', 'ABC', 'exact')).toBe(true);
    expect(() => answerKey('a', 'upper' as never)).toThrow(/compare must be one of exact, lower, gregwar, django/);
  });
});
