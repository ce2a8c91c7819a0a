/** `captcha-nn train`: trains a registered model on a folder or on generated captchas. */
import { relative } from 'node:path';
import { Command, Option } from 'commander';
import { freeCores } from '@captcha-nn/core';
import { AUGMENT_PRESETS, FITS, SIMPLE_PRESETS, type AugmentPreset, type Fit, type LengthSpec } from '@captcha-nn/data';
import {
  GENERATORS,
  OPTIMIZERS,
  RESUMABLE_OPTIONS,
  SCHEDULES,
  VARIANTS,
  hasModel,
  importModules,
  listModels,
  progressCallbacks,
  train,
  type BestRecord,
  type DataSpec,
  type GeneratorName,
  type ResumeOptions,
  type TrainOptions,
  type TrainResult,
  type Variant,
} from '@captcha-nn/train';
import {
  parseFraction,
  parseLabels,
  parseLength,
  parseNonNegativeInt,
  parseProbability,
  parseNonNegativeNumber,
  parsePositiveInt,
  parsePositiveNumber,
  parseSize,
  FONTS_DEFAULT_HELP,
  parseFontList,
} from '../parse';
import { resolveModelArg } from '../pretrained';

interface TrainCliOptions {
  model?: string;
  variant: Variant;
  data?: string;
  labels?: ReturnType<typeof parseLabels>;
  regex?: string;
  charset?: string;
  channels?: 'gray' | 'rgb';
  polarity?: 'keep' | 'light';
  /** false for --no-init. */
  init?: string | false;
  freezeTrunk?: number;
  size?: { width: number; height: number };
  fit?: Fit;
  val?: string;
  valSplit?: number;
  unlabelled?: string;
  minConfidence?: number;
  generate?: GeneratorName;
  dataset?: string;
  dataIdx?: string;
  cropPad?: number;
  flip?: boolean;
  depth?: number;
  residual?: boolean;
  plain?: boolean;
  head?: string;
  width?: number;
  zeroResidual?: boolean;
  stochasticDepth?: number;
  preset?: string;
  length?: LengthSpec;
  fonts?: string[];
  trainSize?: number;
  valSize: number;
  fresh: boolean;
  augment?: AugmentPreset;
  erase?: number;
  epochs?: number;
  batch: number;
  lr?: number;
  optim: TrainOptions['optim'];
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
  labelSmoothing?: number;
  ema?: number;
  schedule?: TrainOptions['schedule'];
  timeLimit?: number;
  valEvery?: number;
  backend?: string;
  workers?: number;
  import?: string[];
  seed: string;
  out?: string;
  resume?: boolean;
  progress: boolean;
  strict?: boolean;
  verbose?: boolean;
  case?: 'keep' | 'fold';
}

const FOLDER_ONLY = ['labels', 'regex', 'val', 'valSplit', 'strict', 'case', 'unlabelled', 'minConfidence', 'fit'] as const;
const GENERATE_ONLY = ['preset', 'length', 'fonts', 'trainSize', 'valSize', 'fresh'] as const;
const IDX_ONLY = ['cropPad', 'flip'] as const;
/** Flags of the other sources that IDX data takes too. */
const IDX_ALSO = ['trainSize', 'valSize'] as const;
const flag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
/** The resumable options as the command line names them (`imports` is `--import`). */
const RESUMABLE_FLAGS = RESUMABLE_OPTIONS.map((k) => (k === 'imports' ? 'import' : k));

export function addTrainCommand(program: Command): Command {
  return program
    .command('train')
    .description('Train a captcha model on a folder of labelled images or on captchas generated on the fly.')
    .addOption(
      new Option(
        '-m, --model <name>',
        `model to build (${listModels()
          .map((m) => m.name)
          .join(', ')}, or one added with registerModel)`,
      ),
    )
    .addOption(
      new Option('--variant <v>', 'model variant: seed (the 2016 network), compact (sized for CPU), wide (a 4x wider trunk, for third-party captchas)')
        .choices([...VARIANTS])
        .default('compact'),
    )
    .option('-d, --data <dir>', 'folder of labelled images (<label>.png, <anything>_<label>.png, or see --labels/--regex)')
    .option(
      '--labels <src>',
      "where labels come from: 'filename' (default), FILE (line i labels <i>.png, like ans.txt) or FILE.csv (file,label); FILE relative to --data",
      parseLabels,
    )
    .option('--regex <re>', 'labels from the first capture group of a regex on the file name')
    .option('--charset <chars>', "label alphabet (default: the labels' characters for --data, SimpleCaptcha's 23 for --generate, 0-9A-Za-z for --generate mix)")
    .addOption(new Option('--channels <c>', "pixel format the model sees (default gray, or the --init model's)").choices(['gray', 'rgb']))
    .addOption(
      new Option(
        '--polarity <p>',
        "light: invert each image whose background (its border) is dark, in training and when the model reads, for schemes that draw both light and dark captchas (default keep, or the --init model's)",
      ).choices(['keep', 'light']),
    )
    .option(
      '--init <model>',
      "fine-tune: start from a trained model (a model folder, a run folder, or 'general', the shipped pre-trained reader: the default for --data without --model); its model, variant, input size and channels are the run's, and its output layer is replaced when the charset or length differ",
    )
    .option('--no-init', "--data without --model: train from scratch, not from the shipped 'general' model (then --model is required)")
    .option('--freeze-trunk <epochs>', 'with --init: train only the output layer (and new layers) for the first N epochs', parseNonNegativeInt)
    .option(
      '--size <WxH>',
      "image size: generated captchas, or the input for --data (default: its largest width and height; with --init, the model's input, or for a CTC reader the model's height and the folder's width at that height)",
      parseSize,
    )
    .addOption(
      new Option(
        '--fit <how>',
        '--data images of another size than the input: contain (default: shrunk if larger, never enlarged, aspect ratio kept and padded), scale (as contain, and enlarged until one side fills it; the default with --init, unless the model was fitted with resize) or resize (each side stretched to the input, aspect ratio not kept); saved with the model',
      ).choices([...FITS]),
    )
    .addOption(
      new Option(
        '--case <c>',
        "--data labels: 'keep' as written (default; best even where the site ignores case: score with eval --compare) or 'fold' to lower case (labels written without case)",
      ).choices(['keep', 'fold']),
    )
    .option('--strict', 'any unreadable, truncated, oversized or unlabelled file in --data or --val is an error (default: skipped and reported)')
    .option('--val <dir>', 'validation folder (default: --val-split of --data)')
    .option('--val-split <f>', 'fraction of --data held out for validation (default 0.1; a fine-tune on fewer than 1,000 images: 0, none)', parseFraction)
    .option(
      '--unlabelled <dir>',
      "self-training: a folder of unlabelled images of the same scheme; the --init model reads them first, and those it reads with --min-confidence join --data's images, labelled with its readings (saved as the run's pseudo-labels.csv)",
    )
    .option('--min-confidence <p>', 'with --unlabelled: the confidence a reading needs to label its image (default 0.9)', parseProbability)
    .addOption(
      new Option(
        '-g, --generate <generator>',
        'train on captchas generated on the fly, seeded (mix: a random mix of our generators, 160x64, 4-8 of 0-9A-Za-z, for a general pre-trained model)',
      ).choices([...GENERATORS]),
    )
    .option('--dataset <name>', 'an IDX dataset the example packages register: mnist, fashion-mnist (validation: its official test split)')
    .option('--data-idx <dir>', 'a folder of IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-…; raw or .gz)')
    .option('--crop-pad <n>', "IDX data: shift training images by up to n pixels (pad and crop; default: the dataset's, 2 for mnist)", parseNonNegativeInt)
    .option('--flip', "IDX data: mirror training images half the time (default: the dataset's, fashion-mnist only)")
    .option('--no-flip', 'IDX data: never mirror')
    .option('--depth <n>', 'model setting: depth (resnet: 6N+10, e.g. 16, 34, 100)', parsePositiveInt)
    .option('--residual', 'model setting: residual units (resnet; the default)')
    .option('--plain', 'model setting: the same layers without shortcuts (resnet)')
    .addOption(
      new Option('--head <h>', 'model setting: the classifier head (resnet: maxpool, the default; gap: global average pooling)').choices(['maxpool', 'gap']),
    )
    .option('--width <n>', 'model setting: channels of the first stage (resnet: 16; the second and third stages have 2× and 4×)', parsePositiveInt)
    .option('--zero-residual', "model setting: start each residual branch's last batch norm at weight 0, so units start as their shortcuts (resnet)")
    .option(
      '--stochastic-depth <p>',
      "model setting: stochastic depth, the last residual unit's death rate; earlier units' rates rise to it linearly (resnet; Huang et al. use 0.5; default 0, off)",
      parseFraction,
    )
    .addOption(new Option('--preset <name>', 'SimpleCaptcha preset for --generate simple (default seed)').choices([...SIMPLE_PRESETS]))
    .option('--length <n|min-max>', "characters per generated captcha (default: the preset's; mix: 4-8)", parseLength)
    .option('--fonts <families>', `font families --generate mix draws with, comma-separated (default: ${FONTS_DEFAULT_HELP})`, parseFontList)
    .option('--train-size <n>', 'generated samples per epoch (default 5000)', parsePositiveInt)
    .option('--val-size <n>', 'generated validation samples (seed <seed>:val)', parsePositiveInt, 500)
    .option('--no-fresh', 'reuse the same --train-size generated images every epoch (default: new ones each epoch)')
    .addOption(
      new Option(
        '--augment <preset>',
        'jitter the training images anew each epoch (small affine warps, contrast): light, strong, horizontal (along rows only, for schemes that draw every character upright at one size), or none (default none; a fine-tune on a folder: light)',
      ).choices(Object.keys(AUGMENT_PRESETS)),
    )
    .option(
      '--erase <p>',
      'random erasing: fill a random rectangle with noise in this share of the training images each epoch (e.g. 0.5; default 0)',
      parseProbability,
    )
    .option(
      '-e, --epochs <n>',
      'epochs (default 10; a fine-tune on a folder: about 25,600 images seen, 10 to 50 epochs, unless it self-trains)',
      parsePositiveInt,
    )
    .option('-b, --batch <n>', 'batch size', parsePositiveInt, 32)
    .option('--lr <rate>', 'learning rate (default: 1e-3 for adam, rmsprop, adagrad; 0.05 for sgd; 1 for adadelta)', parsePositiveNumber)
    .addOption(new Option('--optim <name>', 'optimizer (@captcha-nn/core optim)').choices([...OPTIMIZERS]).default('adam'))
    .option('--momentum <m>', 'momentum for --optim sgd (default 0.9)', parseFraction)
    .option(
      '--dampening <d>',
      "momentum dampening for --optim sgd (default: the momentum, as Torch's optim.sgd; 0 as PyTorch, making the steady step 1/(1 - momentum) times larger)",
      parseFraction,
    )
    .option('--nesterov', 'Nesterov momentum for --optim sgd (needs --dampening 0)')
    .option('--weight-decay <wd>', 'L2 weight decay (default 0)', parseNonNegativeNumber)
    .option(
      '--label-smoothing <e>',
      "train against (1 - e) x the label + e spread over all classes, as PyTorch's label_smoothing (classification and cnn models; e.g. 0.1; default 0)",
      parseProbability,
    )
    .option(
      '--ema <decay>',
      "validate and save a moving average of the weights with this decay (e.g. 0.999), not the last step's weights; the checkpoint keeps both (default 0: none)",
      parseFraction,
    )
    .addOption(
      new Option(
        '--schedule <s>',
        'learning rate over the run: constant --lr (the default; a fine-tune on a folder: cosine); step (x0.1 at 50% and 75%); cosine down to 2% of --lr; onecycle (warm-up over 30%, then cosine)',
      ).choices([...SCHEDULES]),
    )
    .option(
      '--time-limit <minutes>',
      "stop after the step in which the run's training time reaches this, then validate and save; with --unlabelled, reading those images counts; the schedule anneals over the rest (0: none, the default; a fine-tune on a folder of fewer than 1,000 images: 9.5)",
      parseNonNegativeNumber,
    )
    .option(
      '--val-every <n>',
      'validate every n epochs (default 1); the last epoch and one a time limit ends are always validated, and only validated epochs can be best/',
      parsePositiveInt,
    )
    .option('--backend <name>', 'tfjs backend: wasm (default, or CAPTCHA_NN_BACKEND), cpu, …')
    .option(
      '--workers <n>',
      'data-parallel workers, each batch split over them (default: the physical cores other processes leave free; 1: no worker threads)',
      parsePositiveInt,
    )
    .option('--import <module...>', 'modules to import first: packages or files that register models (registerModel) or module classes')
    .option('--seed <seed>', 'seed for initialisation, data order, generated images and the validation split', '1')
    .option('-o, --out <dir>', 'run folder: checkpoint, best/ model, metrics.jsonl, curves.png (default runs/<model>)')
    .option('--resume', 'continue the run in --out from its checkpoint, exactly (same steps and weights as an uninterrupted run)')
    .option('--no-progress', 'no progress bar (plain log lines)')
    .option('--verbose', 'list every skipped file and why')
    .action(async function (this: Command, o: TrainCliOptions) {
      await importModules(o.import);
      const options = o.resume ? resumeRunOptions(this, o) : await newRunOptions(this, o);
      const progress = progressCallbacks({ tty: o.progress ? undefined : false, verbose: o.verbose });
      const controller = new AbortController();
      const onSigint = interruptHandler(progress, controller);
      process.on('SIGINT', onSigint);
      try {
        const r = await train(options, { ...progress, signal: controller.signal });
        progress.stop();
        reportEnd(r);
      } finally {
        progress.stop();
        process.off('SIGINT', onSigint);
      }
    });
}

/** `--resume --out DIR`: the run's own options, and only the resumable flags given again. */
function resumeRunOptions(cmd: Command, o: TrainCliOptions): ResumeOptions {
  const fromCli = (k: string) => cmd.getOptionValueSource(k) === 'cli';
  if (!o.out) cmd.error('error: --resume needs --out <dir>, the run folder to continue', { code: 'captcha-nn.resumeWithoutOut' });
  const allowed = new Set<string>([...RESUMABLE_FLAGS, 'out', 'resume', 'progress', 'verbose']);
  const extra = cmd.options.map((opt) => opt.attributeName()).filter((k) => fromCli(k) && !allowed.has(k === 'batch' ? 'batchSize' : k));
  if (extra.length)
    cmd.error(
      `error: --resume continues the run with the options it was started with; only ${RESUMABLE_FLAGS.map(flag).join(', ')} can be given (got ${extra.map(flag).join(', ')})`,
      { code: 'captcha-nn.resumeOptions' },
    );
  return {
    out: o.out!,
    resume: true,
    ...(fromCli('epochs') ? { epochs: o.epochs } : {}),
    ...(fromCli('backend') ? { backend: o.backend } : {}),
    ...(fromCli('workers') ? { workers: o.workers } : {}),
    ...(fromCli('timeLimit') ? { timeLimit: o.timeLimit } : {}),
    ...(fromCli('valEvery') ? { valEvery: o.valEvery } : {}),
    ...(fromCli('import') ? { imports: o.import } : {}),
  };
}

/** A new run: `--init general` for a folder given no model, the model checked, and `--workers` defaulting to the free cores. */
async function newRunOptions(cmd: Command, o: TrainCliOptions): Promise<Partial<TrainOptions> & { out: string }> {
  if (!o.model && o.init === undefined && o.data) {
    o.init = 'general';
    process.stderr.write('--init general: fine-tuning the shipped pre-trained reader (give --model NAME or --no-init to train from scratch)\n');
  }
  if (o.init === false) delete o.init;
  else if (o.init !== undefined) o.init = resolveModelArg(o.init, '--init');
  const known = () =>
    listModels()
      .map((m) => m.name)
      .join(', ');
  if (!o.model && !o.init) cmd.error(`error: required option '--model <name>' not specified (known: ${known()})`, { code: 'captcha-nn.missingModel' });
  if (o.model && !hasModel(o.model)) cmd.error(`error: unknown model '${o.model}' (known: ${known()})`, { code: 'captcha-nn.unknownModel' });
  const options = { ...cliToTrainOptions(cmd, o), out: o.out ?? `runs/${o.model ?? 'finetune'}` };
  if (options.workers === undefined) {
    const { free, physical } = await freeCores();
    options.workers = free;
    if (free < physical) process.stderr.write(`--workers ${free}: other processes keep ${physical - free} of the ${physical} physical cores busy\n`);
  }
  return options;
}

/** Ctrl-C once: save a checkpoint after this step; twice: quit without one. */
function interruptHandler(progress: { stop(): void }, controller: AbortController): () => void {
  let interrupts = 0;
  return () => {
    interrupts++;
    if (interrupts === 1) {
      progress.stop();
      process.stderr.write('\ninterrupt: saving a checkpoint after this step (Ctrl-C again to quit without saving)\n');
      controller.abort();
    } else {
      process.stderr.write('second interrupt: quitting without a checkpoint\n');
      process.exit(130);
    }
  };
}

/** The run's last line: where its model and checkpoint are, and how to continue it. */
function reportEnd(r: TrainResult): void {
  const rel = relative(process.cwd(), r.out);
  const where = rel === '' ? '.' : rel.startsWith('..') ? r.out : rel;
  const b = r.best;
  if (r.status === 'interrupted') {
    process.stderr.write(`interrupted at step ${r.step}; checkpoint saved in ${where}. Continue with: captcha-nn train --resume --out ${where}\n`);
    process.exitCode = 130;
  } else if (r.status === 'time-limit') {
    process.stderr.write(
      `time limit: stopped at step ${r.step}` +
        (b ? `; best model (epoch ${b.epoch}, ${describeBest(b)}) in ${where}/best` : '') +
        `. Continue with: captcha-nn train --resume --out ${where} --time-limit MINUTES (the run's total; 0 for none)\n`,
    );
  } else {
    process.stderr.write(
      `done: ${r.epochs} epochs, ${r.step} steps.` +
        (b ? ` Best model (epoch ${b.epoch}, ${describeBest(b)}) in ${where}/best` : '') +
        `; metrics in ${where}/metrics.jsonl, curves in ${where}/curves.png\n`,
    );
  }
}

/** What made the best epoch the best: its validation accuracy, or without a validation set its training loss. */
function describeBest(b: BestRecord): string {
  if (b.validated === false) return `the lowest training loss, ${b.loss?.toFixed(4)}; no validation set`;
  return `val captcha ${(b.captchaAccuracy * 100).toFixed(1)}%, per-char ${(b.charAccuracy * 100).toFixed(1)}%`;
}

/** Checks the data options' combination and builds the trainer's options. */
export function cliToTrainOptions(cmd: Command, o: TrainCliOptions): Partial<TrainOptions> {
  const given = (k: string) => cmd.getOptionValueSource(k) === 'cli';
  checkCombination(cmd, o, given);
  const modelOptions = {
    ...(o.depth !== undefined ? { depth: o.depth } : {}),
    ...(o.residual ? { residual: true } : o.plain ? { residual: false } : {}),
    ...(o.head !== undefined ? { head: o.head } : {}),
    ...(o.width !== undefined ? { width: o.width } : {}),
    ...(o.zeroResidual ? { zeroResidual: true } : {}),
    ...(o.stochasticDepth !== undefined ? { stochasticDepth: o.stochasticDepth } : {}),
  };
  return {
    model: o.model,
    // --init brings its own variant; a given one must agree.
    ...(given('variant') || typeof o.init !== 'string' ? { variant: o.variant } : {}),
    ...(Object.keys(modelOptions).length ? { modelOptions } : {}),
    data: dataSpecOf(o, given),
    epochs: o.epochs,
    batchSize: o.batch,
    ...(o.lr !== undefined ? { lr: o.lr } : {}),
    optim: o.optim,
    ...(o.momentum !== undefined ? { momentum: o.momentum } : {}),
    ...(o.dampening !== undefined ? { dampening: o.dampening } : {}),
    ...(o.nesterov ? { nesterov: true } : {}),
    ...(o.weightDecay !== undefined ? { weightDecay: o.weightDecay } : {}),
    ...(o.labelSmoothing ? { labelSmoothing: o.labelSmoothing } : {}),
    ...(o.ema ? { ema: o.ema } : {}),
    schedule: o.schedule,
    ...(o.timeLimit !== undefined ? { timeLimit: o.timeLimit } : {}),
    ...(o.valEvery !== undefined ? { valEvery: o.valEvery } : {}),
    ...(o.backend ? { backend: o.backend } : {}),
    ...(o.workers !== undefined ? { workers: o.workers } : {}),
    ...(o.import?.length ? { imports: o.import } : {}),
    seed: o.seed,
    ...(typeof o.init === 'string' ? { init: o.init } : {}),
    ...(o.freezeTrunk !== undefined ? { freezeTrunk: o.freezeTrunk } : {}),
  };
}

/** The data options' combination: one source, and only the flags that apply to it. */
function checkCombination(cmd: Command, o: TrainCliOptions, given: (k: string) => boolean): void {
  const sources = [o.data && '--data', o.generate && '--generate', o.dataset && '--dataset', o.dataIdx && '--data-idx'].filter(Boolean);
  if (sources.length > 1)
    cmd.error(`error: give either --data DIR or --generate simple|svg|mix or --dataset NAME or --data-idx DIR, not ${sources.join(' and ')}`, {
      code: 'captcha-nn.dataAndGenerate',
    });
  if (sources.length === 0)
    cmd.error(
      'error: no training data: pass --data DIR (labelled images), --dataset mnist|fashion-mnist or --data-idx DIR (IDX files), or --generate simple|svg|mix (captchas made on the fly)',
      { code: 'captcha-nn.missingData' },
    );
  if (o.residual && o.plain) cmd.error('error: give either --residual or --plain, not both', { code: 'captcha-nn.residualAndPlain' });
  const idx = o.dataset !== undefined || o.dataIdx !== undefined;
  if (!idx && IDX_ONLY.some(given))
    cmd.error(`error: ${IDX_ONLY.filter(given).map(flag).join(', ')} apply to --dataset and --data-idx only`, { code: 'captcha-nn.idxOnly' });
  if (idx) {
    const wrong = [...FOLDER_ONLY, ...GENERATE_ONLY, 'size', 'charset', 'channels', 'polarity', 'init'].filter(
      (k) => given(k) && !(IDX_ALSO as readonly string[]).includes(k),
    );
    if (wrong.length)
      cmd.error(`error: ${wrong.map(flag).join(', ')} ${wrong.length === 1 ? 'does' : 'do'} not apply to IDX data (--dataset, --data-idx)`, {
        code: 'captcha-nn.notIdx',
      });
  } else if (o.data) {
    const wrong = GENERATE_ONLY.filter(given);
    if (wrong.length) cmd.error(`error: ${wrong.map(flag).join(', ')} apply to --generate only`, { code: 'captcha-nn.generateOnly' });
  } else {
    const wrong = FOLDER_ONLY.filter(given);
    if (wrong.length) cmd.error(`error: ${wrong.map(flag).join(', ')} apply to --data only`, { code: 'captcha-nn.dataOnly' });
    if (o.generate !== 'simple' && given('preset')) cmd.error('error: --preset applies to --generate simple only', { code: 'captcha-nn.presetWithSvg' });
    if (o.generate !== 'mix' && given('fonts')) cmd.error('error: --fonts applies to --generate mix only', { code: 'captcha-nn.fontsNotMix' });
  }
  if (o.minConfidence !== undefined && !o.unlabelled)
    cmd.error('error: --min-confidence applies with --unlabelled only', { code: 'captcha-nn.minConfidenceWithoutUnlabelled' });
  if (o.val && o.valSplit !== undefined) cmd.error('error: give either --val DIR or --val-split F, not both', { code: 'captcha-nn.valAndSplit' });
  if (o.labels && o.regex) cmd.error('error: give either --labels or --regex, not both', { code: 'captcha-nn.labelsAndRegex' });
  for (const [flag, v] of [
    ['--momentum', o.momentum],
    ['--dampening', o.dampening],
    ['--nesterov', o.nesterov],
  ] as const)
    if (v !== undefined && o.optim !== 'sgd') cmd.error(`error: ${flag} applies to --optim sgd only`, { code: 'captcha-nn.momentum' });
  if (o.nesterov && o.dampening !== 0) cmd.error('error: --nesterov needs --dampening 0', { code: 'captcha-nn.nesterov' });
}

/** The training-image jitter the options ask for, as data spec fields. */
function jitterOf(o: TrainCliOptions): Pick<DataSpec, 'augment' | 'erase'> {
  return { ...(o.augment !== undefined ? { augment: o.augment } : {}), ...(o.erase ? { erase: o.erase } : {}) };
}

/** The trainer's data spec for the one data source given. */
function dataSpecOf(o: TrainCliOptions, given: (k: string) => boolean): DataSpec {
  const idx = o.dataset !== undefined || o.dataIdx !== undefined;
  return idx
    ? {
        kind: 'idx',
        ...(o.dataset !== undefined ? { dataset: o.dataset } : { dir: o.dataIdx! }),
        ...(o.cropPad !== undefined ? { crop: o.cropPad } : {}),
        ...(given('flip') ? { flip: o.flip! } : {}),
        ...(o.trainSize !== undefined ? { trainSize: o.trainSize } : {}),
        ...(given('valSize') ? { valSize: o.valSize } : {}),
        ...jitterOf(o),
      }
    : o.data
      ? {
          kind: 'folder',
          dir: o.data,
          ...(o.regex ? { labels: { regex: o.regex } } : o.labels ? { labels: o.labels } : {}),
          ...(o.val ? { val: o.val } : {}),
          ...(o.valSplit !== undefined ? { valSplit: o.valSplit } : {}),
          ...(o.size ? { size: o.size } : {}),
          ...(o.fit ? { fit: o.fit } : {}),
          ...(o.charset ? { charset: o.charset } : {}),
          ...(o.strict ? { strict: true } : {}),
          ...(o.case === 'fold' ? { labelCase: 'fold' as const } : {}),
          ...(o.unlabelled ? { unlabelled: { dir: o.unlabelled, minConfidence: o.minConfidence ?? 0.9 } } : {}),
          ...(o.channels ? { channels: o.channels } : {}),
          ...(o.polarity ? { polarity: o.polarity } : {}),
          ...jitterOf(o),
        }
      : {
          kind: 'generate',
          generator: o.generate!,
          ...(o.generate === 'simple' ? { preset: (o.preset ?? 'seed') as never } : {}),
          ...(o.length !== undefined ? { length: o.length } : {}),
          ...(o.size ? { size: o.size } : {}),
          ...(o.charset ? { charset: o.charset } : {}),
          ...(o.fonts ? { fonts: o.fonts } : {}),
          trainSize: o.trainSize ?? 5000,
          valSize: o.valSize,
          fresh: o.fresh,
          ...(o.channels ? { channels: o.channels } : {}),
          ...(o.polarity ? { polarity: o.polarity } : {}),
          ...jitterOf(o),
        };
}
