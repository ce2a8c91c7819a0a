/**
 * Training progress for the terminal: a cli-progress bar with loss,
 * accuracy, samples/s and ETA when stderr is a TTY, plain log lines
 * otherwise (about ten per epoch, and at least every 30 s).
 */
import { describeWasmSimd } from '@captcha-nn/core';
import { SingleBar, Presets } from 'cli-progress';
import type { EpochRecord } from './curves';
import type { EvalResult } from './metrics';
import type { TrainOptions } from './options';
import type { StepInfo, TrainCallbacks } from './trainer';

export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  s = Math.round(s);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${(x * 100).toFixed(1)}%`);

/** `unscored`: what an epoch without a validation score says (a run with no validation images, or `--val-every`). */
export function formatEpoch(r: EpochRecord, epochs: number, v: EvalResult | null, isBest: boolean, unscored = 'no validation'): string {
  const val = v ? `  val loss ${v.loss?.toFixed(4) ?? '-'}  val per-char ${pct(v.charAccuracy)}  val captcha ${pct(v.captchaAccuracy)}` : `  (${unscored})`;
  return (
    `epoch ${r.epoch}/${epochs}  loss ${r.trainLoss.toFixed(4)}  train per-char ${pct(r.trainCharAccuracy)}${val}` +
    `  ${r.samplesPerSecond.toFixed(0)} samples/s  ${formatDuration(r.seconds)}${isBest ? '  * best' : ''}`
  );
}

/** Progress callbacks writing to `stream` (stderr by default). */
export function progressCallbacks(
  opts: { tty?: boolean; stream?: NodeJS.WriteStream; quiet?: boolean; verbose?: boolean } = {},
): TrainCallbacks & { stop(): void } {
  const stream = opts.stream ?? process.stderr;
  const tty = opts.tty ?? Boolean(stream.isTTY);
  const write = (s: string) => stream.write(`${s}\n`);
  let bar: SingleBar | null = null;
  let epochs = 0;
  let unscored = 'no validation';
  let lastLog = 0;
  let lastBatch = 0;
  let every = 1;
  const stopBar = () => {
    bar?.stop();
    bar = null;
  };
  const fields = (i: StepInfo) => ({
    loss: i.epochLoss.toFixed(4),
    acc: pct(i.epochAccuracy),
    sps: i.samplesPerSecond.toFixed(0),
    etaAll: formatDuration(i.eta),
    ep: `${i.epoch}/${i.epochs}`,
  });
  return {
    log: (m) => {
      if (bar) {
        stopBar();
      }
      write(m);
    },
    onStart: (s) => {
      epochs = s.options.epochs;
      const every = s.options.valEvery ?? 1;
      unscored = s.data.validation && every > 1 ? `validated every ${every} epochs` : 'no validation';
      write(`data: ${s.data.description}`);
      if (opts.verbose) for (const f of s.data.skipped) write(`skipped ${f.file}: ${f.reason}`);
      else if (s.data.skipped.length) write(`(--verbose lists the ${s.data.skipped.length} skipped files)`);
      write(
        `model: ${s.options.model} (${[s.options.variant, settingsText(s.options.modelOptions)].filter(Boolean).join('; ')}), ${s.model
          .parameters()[0]
          .reduce((a, p) => a + p.size, 0)
          .toLocaleString('en-US')} parameters; ` +
          `${s.options.optim} lr ${s.options.lr}${sgdTerms(s.options)}${s.options.schedule === 'constant' ? '' : ` (${s.options.schedule} schedule)`}${s.options.timeLimit ? `, ${s.options.timeLimit} min limit` : ''}${s.options.weightDecay ? `, weight decay ${s.options.weightDecay}` : ''}${s.options.labelSmoothing ? `, label smoothing ${s.options.labelSmoothing}` : ''}${s.options.ema ? `, weights averaged (EMA ${s.options.ema})` : ''}, batch ${s.options.batchSize}, ${s.options.epochs} epochs of ${s.stepsPerEpoch} steps; backend ${s.backend}${s.backend === 'wasm' ? `, ${describeWasmSimd()}` : ''}; ${s.workers.used} worker(s); seed ${s.options.seed}`,
      );
      if (s.resumed) write(`resuming at epoch ${s.startEpoch + 1}, step ${s.startStep}`);
      if (s.options.timeLimit > 0) write(timeLimitLine(s.options.timeLimit, s.labellingSeconds));
    },
    onEpochStart: (e, n, done, steps) => {
      every = Math.max(1, Math.round(steps / 10));
      lastLog = performance.now();
      lastBatch = done;
      if (tty && !opts.quiet) {
        bar = new SingleBar(
          {
            format: 'epoch {ep} |{bar}| {value}/{total} | loss {loss} | acc {acc} | {sps} samples/s | ETA {eta_formatted} (all {etaAll})',
            hideCursor: true,
            stream,
            etaBuffer: 50,
          },
          Presets.shades_classic,
        );
        bar.start(steps, done, { loss: '-', acc: '-', sps: '-', etaAll: '?', ep: `${e}/${n}` });
      } else if (!opts.quiet) {
        write(`epoch ${e}/${n}: ${steps} steps${done ? ` (resuming after step ${done})` : ''}`);
      }
    },
    onStep: (i) => {
      if (bar) {
        bar.update(i.batch, fields(i));
        return;
      }
      if (opts.quiet) return;
      const now = performance.now();
      if (i.batch - lastBatch >= every || now - lastLog > 30_000 || i.batch === i.stepsPerEpoch) {
        lastLog = now;
        lastBatch = i.batch;
        const f = fields(i);
        write(`epoch ${f.ep} step ${i.batch}/${i.stepsPerEpoch}  loss ${f.loss}  acc ${f.acc}  ${f.sps} samples/s  ETA ${f.etaAll}`);
      }
    },
    onValidation: () => undefined,
    onEpochEnd: (r, v, isBest) => {
      stopBar();
      write(formatEpoch(r, epochs, v, isBest, unscored));
    },
    stop: stopBar,
  };
}

/** ', momentum 0.9, dampening 0, Nesterov' for sgd; '' otherwise. */
function sgdTerms(o: TrainOptions): string {
  if (o.optim !== 'sgd') return '';
  return `, momentum ${o.momentum ?? 0.9}, dampening ${o.dampening ?? 'as momentum'}${o.nesterov ? ', Nesterov' : ''}`;
}

/** A model's own settings as the run was given them (`depth 34`, `head gap`), for its description line. */
function settingsText(settings: Record<string, unknown> | undefined): string {
  return Object.entries(settings ?? {})
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ');
}

/** The log's line on the time limit, with what reading the unlabelled images took of it. */
function timeLimitLine(minutes: number, labellingSeconds: number): string {
  const line = `time limit: ${minutes} min of training (the run's total)`;
  if (labellingSeconds <= 0) return line;
  const read = `reading the unlabelled images took ${labellingSeconds.toFixed(0)} s of it`;
  if (labellingSeconds >= minutes * 60) return `${line}; ${read}, so the run takes one step and stops (--resume with a larger --time-limit continues)`;
  return `${line}; ${read}, and the schedule anneals over the rest`;
}
