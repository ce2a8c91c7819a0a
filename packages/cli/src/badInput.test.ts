import { spawn } from 'node:child_process';
import { cpSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { loadSafetensors, saveSafetensors, tf, type Tensor } from '@captcha-nn/core';
import { runGenerate } from '@captcha-nn/data';
import { train } from '@captcha-nn/train';
import { TINY_DATA, writeTinyPngs } from '@captcha-nn/train/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './test/helpers';

// Bad input through the built command, as a user meets it: a clear error naming the file, or a
// report of what was left out, and never a silent wrong answer.
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js');
const tmp = tempDir();
afterAll(tmp.cleanup);
const model = join(tmp.dir, 'run');
const images = join(tmp.dir, 'images');
let truncated = '';

function exec(args: string[]): Promise<{ code: number | null; out: string; err: string; seconds: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    c.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    c.on('close', (code) => resolve({ code, out, err, seconds: (performance.now() - t0) / 1000 }));
  });
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  let crc = 0xffffffff;
  for (const b of body) crc = CRC_TABLE[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0, 8 + data.length);
  return out;
}
/** A valid, tiny PNG whose header says width×height: a decompression bomb. */
function bombPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit gray
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(0))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

beforeAll(async () => {
  await train({
    model: 'tiny',
    data: { ...TINY_DATA, trainSize: 16, valSize: 8 },
    epochs: 1,
    batchSize: 8,
    out: model,
  });
  await writeTinyPngs(images, 12, 'bad');
  const first = readdirSync(images).sort()[0]!;
  const bytes = readFileSync(join(images, first));
  truncated = join(images, `99_${first.split('_')[1]}`);
  writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
});

describe('bad images', () => {
  it('eval reports the file it left out; --verbose names it; --strict makes it an error naming it', async () => {
    const r = await exec(['eval', '--model', model, '--data', images]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^12 captchas from .*images \(skipped 1 of 13 files: 1 truncated\)/);
    const verbose = await exec(['eval', '--model', model, '--data', images, '--verbose']);
    expect(verbose.out).toMatch(/skipped 99_\w+\.png: truncated PNG/);
    const strict = await exec(['eval', '--model', model, '--data', images, '--strict']);
    expect(strict.code).toBe(1);
    expect(strict.err).toMatch(/99_\w+\.png: truncated PNG/);
  });

  it('eval on a folder with an image of another size fits it to the model, with no advice to pass --size (which eval rejects)', async () => {
    const mixed = join(tmp.dir, 'mixed');
    await writeTinyPngs(mixed, 3, 'mixed');
    await runGenerate(
      {
        generator: 'simple',
        preset: 'seed',
        count: 1,
        start: 0,
        length: 2,
        size: { width: 96, height: 32 },
        charset: 'ab12',
        seed: 'big',
        out: join(mixed, 'big'),
        channels: 'gray',
        progress: false,
      },
      () => undefined,
    );
    const [big] = readdirSync(join(mixed, 'big'));
    renameSync(join(mixed, 'big', big!), join(mixed, `9_${big!.split('_')[1]}`));
    rmSync(join(mixed, 'big'), { recursive: true });
    const r = await exec(['eval', '--model', model, '--data', mixed]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^4 captchas from .*mixed \(skipped 0 of 4 files\)/);
    expect(r.err).not.toMatch(/--size/);
  });

  it('predict on a truncated image is an error naming it (exit 1), and still reads the others', async () => {
    const good = join(images, readdirSync(images).sort()[1]!);
    const r = await exec(['predict', '--model', model, truncated, good]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`error: ${truncated}: truncated PNG`);
    expect(r.out).toMatch(new RegExp(`^${good}\\t[ab12]{0,2}\\t\\d\\.\\d{4}\\n$`));
  });

  it('predict on a 16000x16000 PNG header fails at once, from the header, naming the sizes', async () => {
    const bomb = join(tmp.dir, 'bomb.png');
    writeFileSync(bomb, bombPng(16000, 16000));
    const r = await exec(['predict', '--model', model, bomb]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bomb\.png: .*16000x16000.*4096x4096/);
  });

  it('train reports skipped files at the start, and --strict refuses them', async () => {
    const args = ['train', '--model', 'tiny', '--data', images, '--epochs', '1', '--batch', '8', '--workers', '1', '--no-progress'];
    const r = await exec([...args, '--out', join(tmp.dir, 'train-skip')]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/data: 12 images in .* \(skipped 1 of 13 files: 1 truncated\)/);
    expect(r.err).toMatch(/--verbose lists the 1 skipped files/);
    const strict = await exec([...args, '--strict', '--out', join(tmp.dir, 'train-strict')]);
    expect(strict.code).toBe(1);
    expect(strict.err).toMatch(/99_\w+\.png: truncated PNG/);
  });
});

describe('bad weights', () => {
  it('NaN weights or an int32 tensor in place of a float32 one are refused at load, naming the key', async () => {
    const { tensors, metadata } = await loadSafetensors(join(model, 'best', 'weights.safetensors'));
    const variant = async (name: string, change: (t: Record<string, Tensor>) => void) => {
      const dir = join(tmp.dir, name);
      cpSync(join(model, 'best'), dir, { recursive: true });
      const copy = { ...(tensors as Record<string, Tensor>) };
      change(copy);
      await saveSafetensors(join(dir, 'weights.safetensors'), copy, metadata);
      return dir;
    };
    const key = Object.keys(tensors)[0]!;
    const shape = (tensors as Record<string, Tensor>)[key]!.shape;
    const nan = await variant('nan', (t) => (t[key] = tf.fill(shape, Number.NaN)));
    const int = await variant('int', (t) => (t[key] = tf.zeros(shape, 'int32')));
    const png = join(images, readdirSync(images).sort()[1]!);
    const a = await exec(['predict', '--model', nan, png]);
    expect(a.code).toBe(1);
    expect(a.err).toMatch(new RegExp(`${key.replace('.', '\\.')}.*(NaN|non-finite|not finite)`, 'i'));
    const b = await exec(['predict', '--model', int, png]);
    expect(b.code).toBe(1);
    expect(b.err).toMatch(new RegExp(`${key.replace('.', '\\.')} \\(expected float32, got int32`));
  });
});
