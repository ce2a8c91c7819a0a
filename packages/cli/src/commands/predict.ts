/** `captcha-nn predict`: the text a trained model reads in each image, with its confidence. */
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { expandImagePaths } from '@captcha-nn/data';
import { loadCaptchaModel, loadImageFor, predictFiles, predictionsCsv, TTA_KINDS, type TestTimeAugmentation, type TextLength } from '@captcha-nn/train';
import { writeAttentionPictures } from '../attentionPictures';
import { startInferenceBackend } from '../inferenceBackend';
import { decodeOptionsOf, parsePositiveInt, parseTextLength, parseThreads, TEXT_LENGTH_HELP, TTA_HELP } from '../parse';
import { resolveModelArg } from '../pretrained';

export function addPredictCommand(program: Command): Command {
  return program
    .command('predict')
    .description('Read captcha images with a trained model: text and confidence per image.')
    .argument('<images...>', 'image files (PNG, JPEG, GIF, BMP, WebP) or folders of them (their images, sorted by name)')
    .option('-m, --model <dir>', "a run folder (runs/NAME, uses its best/), a model folder holding model.json, or 'general' (the shipped pre-trained reader)")
    .option('--json', 'print JSON: [{ file, text, confidence }]')
    .option('--csv <file>', 'write the readings to a CSV file: file,text,confidence,error')
    .option('-b, --batch <n>', 'batch size', parsePositiveInt, 32)
    .option('--beam <k>', 'CTC and seq2seq/attention models: beam search keeping k prefixes (default: greedy)', parsePositiveInt)
    .option('--text-length <n|min-max>', TEXT_LENGTH_HELP, parseTextLength)
    .addOption(new Option('--tta <how>', TTA_HELP).choices([...TTA_KINDS]))
    .option('--attention-png <file>', "attention models: also draw where each step looks, as a PNG (several images: <file> with each image's name added)")
    .option('--backend <name>', 'tfjs backend (default wasm, or CAPTCHA_NN_BACKEND)')
    .option('--threads <n>', 'wasm threads (default: the physical cores, or CAPTCHA_NN_WASM_THREADS; 1: one thread)', parseThreads)
    .action(async function (
      this: Command,
      paths: string[],
      o: {
        model?: string;
        json?: boolean;
        csv?: string;
        batch: number;
        beam?: number;
        textLength?: TextLength | 'any';
        tta?: TestTimeAugmentation;
        attentionPng?: string;
        backend?: string;
        threads?: number;
      },
    ) {
      if (!o.model) this.error("error: required option '--model <dir>' not specified (a run folder such as runs/NAME)", { code: 'captcha-nn.missingModel' });
      await startInferenceBackend(o);
      const m = await loadCaptchaModel(resolveModelArg(o.model!, '--model'), { foldBatchNorm: true });
      const images = await expandImagePaths(paths);
      const preds = await predictFiles(m, images, o.batch, decodeOptionsOf(o), o.tta);
      if (o.csv) {
        await writeFile(o.csv, predictionsCsv(preds));
        process.stderr.write(`wrote ${preds.length} readings to ${o.csv}\n`);
      }
      if (o.json) process.stdout.write(`${JSON.stringify(preds, null, 2)}\n`);
      else if (!o.csv) for (const p of preds) if (!p.error) process.stdout.write(`${p.file}\t${p.text}\t${p.confidence.toFixed(4)}\n`);
      for (const p of preds) if (p.error) process.stderr.write(`error: ${p.error}\n`);
      if (o.attentionPng) for (const f of await writeAttentionPictures(m, images, o.attentionPng, loadImageFor)) process.stderr.write(`attention: ${f}\n`);
      if (preds.some((p) => p.error)) process.exitCode = 1;
    });
}
