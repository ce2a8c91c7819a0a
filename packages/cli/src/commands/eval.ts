/** `captcha-nn eval`: accuracy of a trained model on a folder or on generated captchas. */
import { Command, Option } from 'commander';
import { ANSWER_COMPARES, SIMPLE_PRESETS, type AnswerCompare, type LabelSource, type LengthSpec } from '@captcha-nn/data';
import { GENERATORS, TTA_KINDS, evaluateRun, formatEval, type GeneratorName, type TestTimeAugmentation, type TextLength } from '@captcha-nn/train';
import { startInferenceBackend } from '../inferenceBackend';
import {
  decodeOptionsOf,
  FONTS_DEFAULT_HELP,
  parseFontList,
  parseLabels,
  parseLength,
  parsePositiveInt,
  parseSize,
  parseTextLength,
  parseThreads,
  TEXT_LENGTH_HELP,
  TTA_HELP,
} from '../parse';
import { resolveModelArg } from '../pretrained';

interface EvalCliOptions {
  model?: string;
  data?: string;
  labels?: LabelSource;
  regex?: string;
  generate?: GeneratorName;
  dataset?: string;
  dataIdx?: string;
  preset?: string;
  length?: LengthSpec;
  size?: { width: number; height: number };
  fonts?: string[];
  count: number;
  seed: string;
  batch: number;
  top: number;
  beam?: number;
  textLength?: TextLength | 'any';
  backend?: string;
  threads?: number;
  json?: boolean;
  strict?: boolean;
  verbose?: boolean;
  compare: AnswerCompare;
  case?: 'keep' | 'fold';
  mistakes?: string;
  tta?: TestTimeAugmentation;
}

export function addEvalCommand(program: Command): Command {
  return program
    .command('eval')
    .description('Accuracy of a trained model: whole-captcha, per character, per position, by length, character error rate, the most common errors, and speed.')
    .option('-m, --model <dir>', "a run folder (runs/NAME, uses its best/), a model folder holding model.json, or 'general' (the shipped pre-trained reader)")
    .option('-d, --data <dir>', 'folder of labelled images')
    .option('--labels <src>', "'filename' (default), FILE (line i labels <i>.png) or FILE.csv", parseLabels)
    .option('--regex <re>', 'labels from the first capture group of a regex on the file name')
    .option('--dataset <name>', 'the official test split of a registered IDX dataset (mnist, fashion-mnist); -n: its first n images')
    .option('--data-idx <dir>', 'the test split (t10k-*) of a folder of IDX files')
    .addOption(new Option('-g, --generate <generator>', 'evaluate on generated captchas').choices([...GENERATORS]))
    .addOption(new Option('--preset <name>', 'SimpleCaptcha preset (default seed)').choices([...SIMPLE_PRESETS]))
    .option('--length <n|min-max>', "characters per generated captcha (default: the model's)", parseLength)
    .option('--size <WxH>', "generated image size (default: the model's input)", parseSize)
    .option('--fonts <families>', `font families --generate mix draws with, comma-separated (default: ${FONTS_DEFAULT_HELP})`, parseFontList)
    .option('-n, --count <n>', 'generated captchas', parsePositiveInt, 1000)
    .option('--seed <seed>', 'seed of the generated captchas (pick one training did not use)', 'eval')
    .option('-b, --batch <n>', 'batch size', parsePositiveInt, 64)
    .option('--top <n>', 'most common errors to list', parsePositiveInt, 10)
    .option('--beam <k>', 'CTC and seq2seq/attention models: beam search keeping k prefixes (default: greedy)', parsePositiveInt)
    .option('--text-length <n|min-max>', TEXT_LENGTH_HELP, parseTextLength)
    .addOption(new Option('--tta <how>', TTA_HELP).choices([...TTA_KINDS]))
    .option('--backend <name>', 'tfjs backend (default wasm, or CAPTCHA_NN_BACKEND)')
    .option('--threads <n>', 'wasm threads (default: the physical cores, or CAPTCHA_NN_WASM_THREADS; 1: one thread)', parseThreads)
    .option('--strict', 'any unreadable, truncated, oversized or unlabelled file in --data is an error (default: skipped and reported)')
    .option('--verbose', 'list every skipped file and why')
    .addOption(
      new Option(
        '--compare <how>',
        'also score whole captchas as a site checks answers, beside the case-sensitive figure: gregwar (case ignored, 0=o, 1=l), django or lower (case ignored), exact',
      )
        .choices([...ANSWER_COMPARES])
        .default('exact'),
    )
    .addOption(
      new Option('--case <c>', "--data labels: 'keep' as written (default) or 'fold' to lower case, for a model trained on folded labels").choices([
        'keep',
        'fold',
      ]),
    )
    .option('--mistakes <file.png>', 'write a PNG of the most confident mistakes (image, label, reading) there')
    .option('--json', 'print the results as JSON')
    .action(async function (this: Command, o: EvalCliOptions) {
      const given = (k: string) => this.getOptionValueSource(k) === 'cli';
      const idx = o.dataset !== undefined || o.dataIdx !== undefined;
      checkEvalCombination(this, o, given, idx);
      await startInferenceBackend(o);
      const decode = decodeOptionsOf(o);
      const r = await evaluateRun({
        model: resolveModelArg(o.model!, '--model'),
        ...(o.data ? { data: { dir: o.data, labels: o.regex ? { regex: o.regex } : o.labels, strict: o.strict, labelCase: o.case } } : {}),
        ...(idx ? { idx: { ...(o.dataset !== undefined ? { dataset: o.dataset } : { dir: o.dataIdx! }), ...(given('count') ? { count: o.count } : {}) } } : {}),
        ...(o.generate
          ? { generate: { generator: o.generate, preset: o.preset, length: o.length, size: o.size, fonts: o.fonts, count: o.count, seed: o.seed } }
          : {}),
        batchSize: o.batch,
        top: o.top,
        ...(decode ? { decode } : {}),
        ...(given('compare') ? { compare: o.compare } : {}),
        ...(o.mistakes ? { mistakesPng: o.mistakes } : {}),
        ...(o.tta ? { tta: o.tta } : {}),
      });
      if (o.mistakes) process.stderr.write(`the most confident mistakes: ${o.mistakes}\n`);
      process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : `${formatEval(r, { verbose: o.verbose })}\n`);
    });
}

/** The model given, one source of images, and only the flags that apply to that source. */
function checkEvalCombination(cmd: Command, o: EvalCliOptions, given: (k: string) => boolean, idx: boolean): void {
  if (!o.model) cmd.error("error: required option '--model <dir>' not specified (a run folder such as runs/NAME)", { code: 'captcha-nn.missingModel' });
  const sources = [o.data && '--data', o.generate && '--generate', o.dataset && '--dataset', o.dataIdx && '--data-idx'].filter(Boolean);
  if (sources.length > 1) cmd.error(`error: give one source of images, not ${sources.join(' and ')}`, { code: 'captcha-nn.dataAndGenerate' });
  if (sources.length === 0)
    cmd.error('error: nothing to evaluate on: pass --data DIR, --generate simple|svg|mix, --dataset NAME or --data-idx DIR', {
      code: 'captcha-nn.missingData',
    });
  const notIdx = ['labels', 'regex', 'strict', 'preset', 'length', 'size', 'fonts', 'seed'].filter(given);
  if (idx && notIdx.length)
    cmd.error(`error: ${notIdx.map((k) => `--${k}`).join(', ')} do not apply to --dataset or --data-idx`, { code: 'captcha-nn.notIdx' });
  if (o.labels && o.regex) cmd.error('error: give either --labels or --regex, not both', { code: 'captcha-nn.labelsAndRegex' });
  const genOnly = ['preset', 'length', 'size', 'fonts', 'count', 'seed'].filter(given);
  if (o.data && genOnly.length) cmd.error(`error: ${genOnly.map((k) => `--${k}`).join(', ')} apply to --generate only`, { code: 'captcha-nn.generateOnly' });
  if (o.generate && (o.labels || o.regex || o.strict || o.case))
    cmd.error('error: --labels, --regex, --strict and --case apply to --data only', { code: 'captcha-nn.dataOnly' });
  if (idx && o.case) cmd.error('error: --case applies to --data only', { code: 'captcha-nn.dataOnly' });
  if (o.generate && o.generate !== 'simple' && o.preset) cmd.error('error: --preset applies to --generate simple only', { code: 'captcha-nn.presetWithSvg' });
  if (o.generate && o.generate !== 'mix' && o.fonts) cmd.error('error: --fonts applies to --generate mix only', { code: 'captcha-nn.fontsNotMix' });
}
