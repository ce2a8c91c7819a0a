/** rnn's remember modes: which of training/evaluation keep the state between sequences. */
export type RememberMode = 'both' | 'train' | 'eval' | 'neither';

const MODES: readonly string[] = ['both', 'train', 'eval', 'neither'];

/** rnn's check of `remember(mode)`'s argument; `path` names the module in the error. */
export function checkRememberMode(mode: RememberMode, path: string): RememberMode {
  if (!MODES.includes(mode)) throw new RangeError(`${path}: unknown remember mode ${mode}`);
  return mode;
}

/** Whether a module with this mode keeps its state into the next sequence, in training or evaluation. */
export function remembers(mode: RememberMode, train: boolean): boolean {
  return mode === 'both' || (train ? mode === 'train' : mode === 'eval');
}
