// Steps/s of a compact captcha convnet (batch 32, 50×200×1, conv 32/64/128 + ceil max pools,
// Linear to 5·23, MultiCrossEntropyCriterion, sgd+momentum), DataParallelTable N=1 vs N=2,
// steps interleaved in one process so both see the same machine load; median after 2 warm-ups.
//   node packages/core/src/parallel/bench.mjs [library entry, default @captcha-nn/core] [steps, default 12]
// (the library must export DataParallelTable: build it first).
const lib = await import(process.argv[2] ?? '@captcha-nn/core');
const steps = Number(process.argv[3] ?? 12);
if (!lib.DataParallelTable) throw new Error('this build of @captcha-nn/core does not export DataParallelTable');
const {
  tf,
  setBackend,
  Sequential,
  SpatialConvolution,
  ReLU,
  SpatialMaxPooling,
  View,
  Linear,
  MultiCrossEntropyCriterion,
  DataParallelTable,
  manualSeed,
  optim,
} = lib;
await setBackend('wasm');
manualSeed(1);
const net = () =>
  new Sequential(
    new SpatialConvolution(1, 32, 3, 3, 1, 1, 1, 1),
    new ReLU(),
    new SpatialMaxPooling(2, 2, 2, 2).ceil(),
    new SpatialConvolution(32, 64, 3, 3, 1, 1, 1, 1),
    new ReLU(),
    new SpatialMaxPooling(2, 2, 2, 2).ceil(),
    new SpatialConvolution(64, 128, 3, 3, 1, 1, 1, 1),
    new ReLU(),
    new SpatialMaxPooling(2, 2, 2, 2).ceil(),
    new View(-1, 128 * 7 * 25),
    new Linear(128 * 7 * 25, 5 * 23),
    new View(-1, 5, 23),
  );
const crit = new MultiCrossEntropyCriterion();
const x = tf.randomNormal([32, 50, 200, 1], 0, 1, 'float32', 1);
const y = tf.randomUniform([32, 5], 0, 23, 'int32', 2);
const median = (a) => {
  const s = [...a].sort((p, q) => p - q);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
// Interleaved: a step with N=1, then one with N=2, so both see the same machine load.
const runs = [1, 2].map((threads) => {
  const model = net();
  const [ws, gs] = model.parameters();
  return { threads, model, ws, gs, dp: new DataParallelTable(model, { threads }), state: {}, times: [], cpu: [] };
});
for (const r of runs) await r.dp.ready();
for (let i = 0; i < steps + 2; i++) {
  for (const r of runs) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    r.model.zeroGradParameters();
    const loss = await r.dp.backward(crit, x, y);
    optim.sgd(() => [loss, r.gs], r.ws, { learningRate: 0.01, momentum: 0.9 }, r.state);
    if (i >= 2) r.times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    if (i >= 2) r.cpu.push((c.user + c.system) / 1000);
  }
}
// overhead: reading the parameters once (what a step sends to each worker)
const t0 = performance.now();
await Promise.all(runs[1].ws.map((w) => w.data()));
const readMs = performance.now() - t0;
const results = {};
for (const r of runs) {
  await r.dp.dispose();
  const m = median(r.times);
  results[`N=${r.threads}`] = { medianMs: +m.toFixed(1), stepsPerSec: +(1000 / m).toFixed(3), steps: r.times.length, cpuMsPerStep: +median(r.cpu).toFixed(0) };
}
results.speedup = +(results['N=1'].medianMs / results['N=2'].medianMs).toFixed(2);
results.readParamsMs = +readMs.toFixed(1);
console.log(JSON.stringify(results));
