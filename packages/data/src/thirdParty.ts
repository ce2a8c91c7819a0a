/**
 * Real third-party captcha libraries as test data: Gregwar/Captcha (PHP),
 * django-simple-captcha (Python), and five held out from all tuning:
 * GD::SecurityImage (Perl, as two framework plugins document configuring it),
 * PEAR's Text_CAPTCHA (PHP, as its example does) and Rails' simple_captcha2
 * (Ruby and ImageMagick: its defaults, and its random styles). They run through
 * Debian's `php`, `python3`, `perl` and `ruby` with the small driver scripts in
 * packages/data/scripts. They are dev tools and test data, never
 * dependencies: where one is missing the error names the Debian packages to
 * install.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export type ThirdPartyGenerator =
  | 'gregwar'
  | 'django'
  | 'securityimage-catalyst'
  | 'securityimage-cgiapp'
  | 'textcaptcha'
  | 'rails-simplecaptcha'
  | 'rails-simplecaptcha-random';
export const THIRD_PARTY_GENERATORS: readonly ThirdPartyGenerator[] = [
  'gregwar',
  'django',
  'securityimage-catalyst',
  'securityimage-cgiapp',
  'textcaptcha',
  'rails-simplecaptcha',
  'rails-simplecaptcha-random',
];

export interface ThirdPartyInfo {
  /** The library, as its users know it. */
  library: string;
  /** Characters its default phrase builder draws from (labels are as drawn, case kept). */
  charset: string;
  /** Characters per captcha (defaults). */
  length: number;
  /** 'WxH', or 'varies' where the library sizes the image to the text. */
  size: string;
  /** Extension of the files it serves. */
  ext: 'jpg' | 'png';
  /** Debian packages that provide the interpreter and the library. */
  packages: string[];
  /** How the site compares answers (see `compareAnswers`). */
  compare: AnswerCompare;
}

/** simple_captcha2's two settings differ only in how they draw. */
const SIMPLE_CAPTCHA2: Omit<ThirdPartyInfo, 'library'> = {
  // generate_simple_captcha_data: upper-case letters; the site upper-cases the answer.
  charset: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  length: 5,
  // 100x28, and ImageMagick's -wave adds twice its amplitude to the height: 28-30 by default, 28-38 with 'random'.
  size: 'varies',
  ext: 'jpg',
  packages: ['ruby-simple-captcha2', 'imagemagick', 'fonts-liberation'],
  compare: 'lower',
};

/**
 * Defaults read from the libraries' sources (Debian 12: php-gregwar-captcha 1.1.9, python3-django-captcha 0.5.17,
 * libgd-securityimage-perl 1.75, php-text-captcha 1.0.2; the two SecurityImage configurations are the synopses of
 * Catalyst::Plugin::Captcha and CGI::Application::Plugin::CAPTCHA, see scripts/gd_securityimage.pl; Text_CAPTCHA's is
 * its SimpleExample.php, see scripts/text_captcha.php; ruby-simple-captcha2 0.5.0 with ImageMagick 6.9, see
 * scripts/simple_captcha2.rb).
 */
export const THIRD_PARTY: Record<ThirdPartyGenerator, ThirdPartyInfo> = {
  gregwar: {
    library: 'Gregwar/Captcha',
    // PhraseBuilder's default: no 'o' and no '0'.
    charset: 'abcdefghijklmnpqrstuvwxyz123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    length: 5,
    size: '150x40',
    ext: 'jpg',
    packages: ['php-cli', 'php-gregwar-captcha'],
    compare: 'gregwar',
  },
  django: {
    library: 'django-simple-captcha',
    // random_char_challenge: lower-case letters, shown upper-case (the challenge is what is drawn).
    charset: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    length: 4,
    size: 'varies',
    ext: 'png',
    packages: ['python3-django-captcha'],
    compare: 'django',
  },
  'securityimage-catalyst': {
    library: "GD::SecurityImage (Catalyst::Plugin::Captcha's settings)",
    // RANDOM_DATA: six digits; GD's built-in "giant" bitmap font.
    charset: '0123456789',
    length: 6,
    size: '80x30',
    ext: 'jpg',
    packages: ['libgd-securityimage-perl'],
    compare: 'exact',
  },
  'securityimage-cgiapp': {
    library: "GD::SecurityImage (CGI::Application::Plugin::CAPTCHA's settings)",
    // Arial 18 pt: Liberation Sans, its metric twin.
    charset: '0123456789',
    length: 6,
    size: '150x40',
    ext: 'png',
    packages: ['libgd-securityimage-perl', 'fonts-liberation'],
    compare: 'exact',
  },
  textcaptcha: {
    library: "PEAR Text_CAPTCHA (its example's settings)",
    // Text_Password's pronounceable syllables: lower-case letters but q, x, y and z.
    charset: 'abcdefghijklmnoprstuvw',
    length: 8,
    size: '200x80',
    ext: 'png',
    // The Image driver needs Image_Text, which php-text-captcha only recommends.
    packages: ['php-cli', 'php-text-captcha', 'php-image-text', 'fonts-liberation'],
    compare: 'exact',
  },
  'rails-simplecaptcha': { library: "Rails' simple_captcha2 (its defaults)", ...SIMPLE_CAPTCHA2 },
  'rails-simplecaptcha-random': { library: "Rails' simple_captcha2 (random style and distortion)", ...SIMPLE_CAPTCHA2 },
};

interface Driver {
  /** The script in packages/data/scripts, and the arguments before SEED START COUNT OUTDIR (or `--probe`). */
  script: string;
  args: string[];
  /** The environment variable that names the interpreter, Debian's, and the name looked up on PATH. */
  interpreter: [env: string, debian: string, name: string];
}

const PHP: Driver['interpreter'] = ['CAPTCHA_NN_PHP', '/usr/bin/php', 'php'];
const PYTHON: Driver['interpreter'] = ['CAPTCHA_NN_PYTHON', '/usr/bin/python3', 'python3'];
const PERL: Driver['interpreter'] = ['CAPTCHA_NN_PERL', '/usr/bin/perl', 'perl'];
const RUBY: Driver['interpreter'] = ['CAPTCHA_NN_RUBY', '/usr/bin/ruby', 'ruby'];

const DRIVER: Record<ThirdPartyGenerator, Driver> = {
  gregwar: { script: 'gregwar.php', args: [], interpreter: PHP },
  django: { script: 'django_captcha.py', args: [], interpreter: PYTHON },
  'securityimage-catalyst': { script: 'gd_securityimage.pl', args: ['catalyst'], interpreter: PERL },
  'securityimage-cgiapp': { script: 'gd_securityimage.pl', args: ['cgiapp'], interpreter: PERL },
  textcaptcha: { script: 'text_captcha.php', args: [], interpreter: PHP },
  'rails-simplecaptcha': { script: 'simple_captcha2.rb', args: ['default'], interpreter: RUBY },
  'rails-simplecaptcha-random': { script: 'simple_captcha2.rb', args: ['random'], interpreter: RUBY },
};

/** The driver script: packages/data/scripts (one level above both src/ and dist/). */
function scriptPath(g: ThirdPartyGenerator): string {
  return fileURLToPath(new URL(`../scripts/${DRIVER[g].script}`, import.meta.url));
}

/**
 * CAPTCHA_NN_PHP / CAPTCHA_NN_PYTHON / CAPTCHA_NN_PERL / CAPTCHA_NN_RUBY when set; else Debian's
 * interpreter (the library is installed for it; a pyenv `python3` first on
 * PATH would not see it), else PATH's.
 */
function interpreter(g: ThirdPartyGenerator): string {
  const [env, debian, name] = DRIVER[g].interpreter;
  return process.env[env] || (existsSync(debian) ? debian : name);
}

function installHint(g: ThirdPartyGenerator): string {
  return `apt-get install ${THIRD_PARTY[g].packages.join(' ')}`;
}

/**
 * Why `g` cannot run here (interpreter, library, font or tool missing), naming the Debian
 * packages to install; undefined when it can. Runs the driver once as `--probe`: it makes
 * the checks a run makes and draws nothing, so the two cannot disagree.
 */
export function thirdPartyProblem(g: ThirdPartyGenerator): string | undefined {
  checkGenerator(g);
  const r = spawnSync(interpreter(g), [scriptPath(g), ...DRIVER[g].args, '--probe'], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const lib = THIRD_PARTY[g].library;
  if (r.error) return `${lib} needs ${interpreter(g)}, which cannot run (${(r.error as NodeJS.ErrnoException).code}): ${installHint(g)}`;
  if (r.status === 0) return undefined;
  const why = r.stderr.trim() || `its driver's check ended with ${r.signal ?? `exit ${r.status}`} and no message`;
  return `${lib} cannot run with ${interpreter(g)}: ${why}${why.includes('apt-get install') ? '' : ` (${installHint(g)})`}`;
}

function checkGenerator(g: string): asserts g is ThirdPartyGenerator {
  if (!THIRD_PARTY_GENERATORS.includes(g as ThirdPartyGenerator))
    throw new Error(`generate: unknown third-party generator ${JSON.stringify(g)} (expected one of ${THIRD_PARTY_GENERATORS.join(', ')})`);
}

export interface ThirdPartyOptions {
  generator: ThirdPartyGenerator;
  count: number;
  seed: string;
  out: string;
  /** First image index (default 0): image i depends only on the seed and i. */
  start?: number;
  /** Called with the number written so far, after each image. */
  onImage?: (done: number) => void;
}

/**
 * Draws `count` captchas with the real library into `out` as
 * `<index>_<label>.<jpg|png>` (the folder loader's file-name labels; labels
 * as drawn, case kept), in one interpreter process; returns the files and
 * labels in index order. Seeded: the same seed and index give the same bytes.
 */
export async function generateThirdParty(o: ThirdPartyOptions): Promise<Array<{ file: string; label: string }>> {
  checkGenerator(o.generator);
  const g = o.generator;
  if (!Number.isInteger(o.count) || o.count < 1) throw new Error(`generate: count must be a positive integer, got ${o.count}`);
  const start = o.start ?? 0;
  const problem = thirdPartyProblem(g);
  if (problem) throw new Error(`generate: ${problem}`);
  await mkdir(o.out, { recursive: true });
  const args = [scriptPath(g), ...DRIVER[g].args, o.seed, String(start), String(o.count), o.out];
  const child = spawn(interpreter(g), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const written: Array<{ file: string; label: string }> = [];
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  for await (const line of createInterface({ input: child.stdout })) {
    const [file, label] = line.split('\t');
    if (file && label) {
      written.push({ file, label });
      o.onImage?.(written.length);
    }
  }
  const code = await exited;
  if (code !== 0 || written.length !== o.count)
    throw new Error(
      `generate: ${THIRD_PARTY[g].library} stopped after ${written.length} of ${o.count} images (exit ${code}): ${stderr.trim() || 'no message'}`,
    );
  return written;
}

/**
 * Whether an answer passes a site's check of `label`:
 * - 'exact': the same string (case-sensitive);
 * - 'lower': the same once both are lower-cased;
 * - 'gregwar': Gregwar's PhraseBuilder::comparePhrases, both lower-cased with 0→o and 1→l;
 * - 'django': django-simple-captcha lower-cases the answer and compares it to the lower-cased
 *   response, so the same as 'lower'.
 */
export type AnswerCompare = 'exact' | 'lower' | 'gregwar' | 'django';
export const ANSWER_COMPARES: readonly AnswerCompare[] = ['exact', 'lower', 'gregwar', 'django'];

/** The form a site compares (see AnswerCompare); two answers pass when their forms are equal. */
export function answerKey(s: string, how: AnswerCompare): string {
  switch (how) {
    case 'exact':
      return s;
    case 'lower':
    case 'django':
      return s.toLowerCase();
    case 'gregwar':
      // strtr(strtolower($str), '01', 'ol')
      return s.toLowerCase().replace(/[01]/g, (c) => (c === '0' ? 'o' : 'l'));
    default:
      throw new Error(`compare must be one of ${ANSWER_COMPARES.join(', ')}, got ${JSON.stringify(how)}`);
  }
}

/** Whether `answer` passes the site's check of `label` (see AnswerCompare). */
export function compareAnswers(answer: string, label: string, how: AnswerCompare): boolean {
  return answerKey(answer, how) === answerKey(label, how);
}
