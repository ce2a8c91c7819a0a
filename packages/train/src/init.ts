/**
 * Fine-tuning: a run that starts from a trained model folder (`init`)
 * instead of fresh weights, and optionally trains only the new or last
 * layer for the first `freezeTrunk` epochs.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HasParameters, Module, Variable } from '@captcha-nn/core';
import type { DataSpec, FolderDataSpec } from './data';
import { loadCaptchaModel, resolveModelDir, type CaptchaModelMetadata } from './modelio';
import type { TrainOptions } from './options';

/** The captcha metadata of a model folder (read from model.json, no weights loaded). */
export async function readInitMetadata(path: string): Promise<CaptchaModelMetadata & { dir: string }> {
  const dir = resolveModelDir(path, '--init');
  let json: { metadata?: CaptchaModelMetadata };
  try {
    json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as typeof json;
  } catch (e) {
    throw new Error(`--init ${path}: cannot read ${join(dir, 'model.json')} (${(e as Error).message})`);
  }
  const m = json.metadata;
  if (m?.kind !== 'captcha-nn-captcha-model')
    throw new Error(`--init ${path}: ${dir}/model.json has no captcha-nn captcha metadata: was it saved by 'captcha-nn train'?`);
  return { ...m, dir };
}

/**
 * A new run's options with what `init` decides: its model, variant and
 * settings (given ones must agree), and, unless given, its input size and
 * channels for the data (folder images are fitted to that size).
 */
export async function applyInitDefaults<O extends Partial<TrainOptions>>(o: O): Promise<O> {
  if (o.init === undefined) return o;
  const m = await readInitMetadata(o.init);
  const clash = [
    o.model !== undefined && o.model !== m.model.name && `--model ${o.model} (it is a ${m.model.name})`,
    o.variant !== undefined && o.variant !== m.model.variant && `--variant ${o.variant} (it is ${m.model.variant})`,
  ].filter(Boolean);
  if (clash.length) throw new Error(`--init ${o.init}: the model to fine-tune is given, so ${clash.join(' and ')} cannot differ`);
  const data = o.data ? withInitInput(o.data, m) : o.data;
  return {
    ...o,
    init: m.dir,
    model: m.model.name,
    variant: m.model.variant as TrainOptions['variant'],
    ...(m.model.options && o.modelOptions === undefined ? { modelOptions: m.model.options } : {}),
    ...(data ? { data } : {}),
  };
}

function withInitInput(spec: DataSpec, m: CaptchaModelMetadata): DataSpec {
  if (spec.kind === 'idx') return spec;
  // The init model's charset, so its output layer carries over: as is for generated captchas, and for a folder
  // whose labels it covers.
  const charset =
    spec.charset !== undefined ? {} : spec.kind === 'folder' ? { preferCharset: m.charset } : { charset: m.charset, length: spec.length ?? m.length };
  const fit = spec.kind === 'folder' ? folderFit(spec, m) : {};
  return {
    ...spec,
    ...charset,
    ...(spec.size === undefined && !('height' in fit) ? { size: { width: m.input.width, height: m.input.height } } : {}),
    ...(spec.channels === undefined ? { channels: m.preprocessing.channels } : {}),
    ...(spec.polarity === undefined && m.preprocessing.polarity ? { polarity: m.preprocessing.polarity } : {}),
    ...fit,
  };
}

/**
 * How a fine-tune fits a folder the run gives no fit for. A model fitted with 'scale' or 'resize' carries its fit
 * (models from before 'contain' record 'resize', and read stretched too). One that saw its text fill the input
 * (generated captchas, as `general`) or a folder's under 'contain' gets the folder's images enlarged to fill its
 * height, 'scale', which reads small captchas better (docs/data.md); a CTC reader, which takes any width, at the
 * folder's width at that height unless the run gives a size.
 */
function folderFit(spec: FolderDataSpec, m: CaptchaModelMetadata): Pick<FolderDataSpec, 'fit' | 'height'> {
  if (spec.fit !== undefined) return {};
  const recorded = m.preprocessing.fit;
  if (recorded !== 'contain') return recorded ? { fit: recorded } : {};
  return spec.size === undefined && m.task.name === 'ctc' ? { fit: 'scale', height: m.input.height } : { fit: 'scale' };
}

export interface InitReport {
  /** State-dict keys copied from the init model. */
  copied: string[];
  /** Keys left freshly initialised: absent there, or of another shape (a new charset or length). */
  fresh: Array<{ key: string; shape: number[]; was?: number[] }>;
  /** What differs between the init model and this run ("input 150x50 → 160x64"), whether or not any tensor changed shape. */
  differs: string[];
}

/**
 * Copies every state-dict entry of the init model that `model` has with the
 * same shape, except the output layer (the last module with parameters) when
 * the charset differs, or the length for a fixed-length reader: same-shaped,
 * its classes would mean other characters.
 */
export async function initialiseFrom(
  model: Module,
  init: string,
  want: { charset: string; length: number; input?: { width: number; height: number } },
): Promise<InitReport> {
  const src = await loadCaptchaModel(init);
  const from = src.metadata;
  const differs = [
    from.charset !== want.charset && `charset (${from.charset.length} → ${want.charset.length} characters)`,
    from.length !== want.length && `length ${from.length} → ${want.length}`,
    want.input &&
      (from.input.width !== want.input.width || from.input.height !== want.input.height) &&
      `input ${from.input.width}x${from.input.height} → ${want.input.width}x${want.input.height}`,
  ].filter((d): d is string => typeof d === 'string');
  // Only a fixed-length reader's outputs are positions; a CTC or seq2seq reader's classes mean the same at any length.
  const lengthMatters = src.task.spec.name === 'text';
  const sameText = src.metadata.charset === want.charset && (!lengthMatters || src.metadata.length === want.length);
  const output = new Set(outputKeys(model));
  try {
    const theirs = src.model.stateDict();
    try {
      const ours = model.stateShapes();
      const keep: Record<string, (typeof theirs)[string]> = {};
      const report: InitReport = { copied: [], fresh: [], differs };
      for (const [key, shape] of ours) {
        const t = theirs[key];
        if (t && t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]) && (sameText || !output.has(key))) {
          keep[key] = t;
          report.copied.push(key);
        } else {
          const sameShape = t && t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]);
          report.fresh.push({ key, shape, ...(t && !sameShape ? { was: t.shape } : {}) });
        }
      }
      model.loadStateDict(keep, { strict: false });
      return report;
    } finally {
      for (const t of Object.values(theirs)) t.dispose();
    }
  } finally {
    src.model.dispose();
  }
}

/** State-dict keys of the output layer: the parameters of the last module that has any. */
function outputKeys(model: Module): string[] {
  const named = model.namedParameters();
  if (named.length === 0) return [];
  const last = named[named.length - 1]!.key;
  const prefix = last.slice(0, last.lastIndexOf('.') + 1);
  return named.map((n) => n.key).filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes('.'));
}

/**
 * The trunk: the parameters copied from the init model, except those of the
 * last module with parameters (the output layer), which always trains.
 * Returned as state-dict keys.
 */
export function trunkKeys(model: Module, report: InitReport): string[] {
  const copied = new Set(report.copied);
  const output = new Set(outputKeys(model));
  return model
    .namedParameters()
    .map((n) => n.key)
    .filter((k) => copied.has(k) && !output.has(k));
}

/**
 * The parameters the optimizer steps: all of the model's, or while `frozen`
 * is set, all but those (their gradients are still computed; the optimizer
 * neither sees nor moves them, and holds no buffers for them).
 */
export class TrainableParameters implements HasParameters {
  private frozenSet: Set<Variable> | null = null;
  /** The frozen parameters' state-dict keys, or null. */
  frozenKeys: string[] | null = null;

  constructor(readonly model: Module) {}

  freeze(keys: readonly string[]): void {
    const want = new Set(keys);
    const found = this.model.namedParameters().filter((n) => want.has(n.key));
    if (found.length !== want.size) {
      const have = new Set(found.map((n) => n.key));
      throw new Error(`freeze: the model has no parameters ${[...want].filter((k) => !have.has(k)).join(', ')}`);
    }
    this.frozenSet = new Set(found.map((n) => n.param.value));
    this.frozenKeys = [...keys];
  }

  unfreeze(): void {
    this.frozenSet = null;
    this.frozenKeys = null;
  }

  parameters(): [Variable[], Variable[]] {
    const [ws, gs] = this.model.parameters();
    const frozen = this.frozenSet;
    if (!frozen) return [ws, gs];
    const keep = ws.map((w) => !frozen.has(w));
    return [ws.filter((_, i) => keep[i]), gs.filter((_, i) => keep[i])];
  }
}

/** Groups state-dict keys by module ("12.weight, 12.bias" → "12 (weight, bias)"), for the log. */
export function describeKeys(keys: ReadonlyArray<{ key: string; shape: number[]; was?: number[] }>): string {
  const byModule = new Map<string, string[]>();
  for (const k of keys) {
    const dot = k.key.lastIndexOf('.');
    const mod = dot < 0 ? '' : k.key.slice(0, dot);
    const what = `${k.key.slice(dot + 1)} [${k.shape.join('x')}]${k.was ? ` (was [${k.was.join('x')}])` : ''}`;
    (byModule.get(mod) ?? byModule.set(mod, []).get(mod)!).push(what);
  }
  return [...byModule].map(([m, w]) => `module ${m}: ${w.join(', ')}`).join('; ');
}

/** `--init`: copies the trained model's weights that fit, says what it copied, and freezes the trunk if asked. */
export async function startFromInit(
  model: Module,
  trainable: TrainableParameters,
  opts: TrainOptions,
  charset: string,
  length: number,
  input: { width: number; height: number },
  log?: (message: string) => void,
): Promise<void> {
  const r = await initialiseFrom(model, opts.init!, { charset, length, input });
  const differ = r.differs.length ? `${r.differs.join(', ')} differ` : 'same charset, length and input';
  log?.(
    `--init ${opts.init}: copied ${r.copied.length} of ${r.copied.length + r.fresh.length} state tensors (weights and batch-norm statistics)` +
      (r.fresh.length
        ? `; new layer${r.fresh.length > 1 ? 's' : ''} (${differ}): ${describeKeys(r.fresh)}`
        : r.differs.length
          ? `; ${differ}, and every tensor fits`
          : `; ${differ}`),
  );
  if (opts.freezeTrunk) {
    trainable.freeze(trunkKeys(model, r));
    log?.(`--freeze-trunk ${opts.freezeTrunk}: ${trainable.frozenKeys!.length} trunk tensors not updated for the first ${opts.freezeTrunk} epoch(s)`);
  }
}
