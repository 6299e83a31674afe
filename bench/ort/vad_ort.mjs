// Runs a Silero voice-activity model with ONNX Runtime (npm's
// onnxruntime-node) over a 16 kHz mono stream in chunks of 512 samples,
// carrying the recurrent state from chunk to chunk, as a VAD does:
//
//   node vad_ort.mjs MODEL.onnx AUDIO.f32 OUT_PREFIX
//
// AUDIO.f32 is raw little-endian float32. The model's state is `state`
// [2, 1, 128] (v5, v6) or `h` and `c` [2, 1, 64] (legacy). Writes
// OUT_PREFIX.prob.f32 (one speech probability per chunk),
// OUT_PREFIX.chunks.f32 ([N, 512], the inputs) and, per state input S,
// OUT_PREFIX.S.f32 ([2, N, width], the state each chunk saw), so that another
// engine can run the same N steps as one batch.
import * as ort from 'onnxruntime-node';
import { readFileSync, writeFileSync } from 'node:fs';

const [model, audioFile, prefix] = process.argv.slice(2);
const raw = readFileSync(audioFile);
const audio = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
const session = await ort.InferenceSession.create(model, {
  intraOpNumThreads: 1, interOpNumThreads: 1,
});
const legacy = session.inputNames.includes('h');
// State inputs, their outputs and widths.
const states = legacy ? [['h', 'hn', 64], ['c', 'cn', 64]]
                      : [['state', 'stateN', 128]];
const CHUNK = 512;
const n = Math.floor(audio.length / CHUNK);
const probs = new Float32Array(n);
const chunks = new Float32Array(n * CHUNK);
const current = {}, recorded = {};
for (const [name, , width] of states) {
  current[name] = new Float32Array(2 * width);
  recorded[name] = new Float32Array(2 * n * width);
}
const sr = new ort.Tensor('int64', BigInt64Array.from([16000n]), []);
for (let i = 0; i < n; ++i) {
  const chunk = audio.slice(i * CHUNK, (i + 1) * CHUNK);
  chunks.set(chunk, i * CHUNK);
  const feeds = { input: new ort.Tensor('float32', chunk, [1, CHUNK]), sr };
  for (const [name, , width] of states) {
    // [2, 1, width] -> row i of [2, N, width].
    recorded[name].set(current[name].subarray(0, width), i * width);
    recorded[name].set(current[name].subarray(width), (n + i) * width);
    feeds[name] = new ort.Tensor('float32', current[name], [2, 1, width]);
  }
  const out = await session.run(feeds);
  probs[i] = out.output.data[0];
  for (const [name, output] of states)
    current[name] = Float32Array.from(out[output].data);
}
const save = (name, a) => writeFileSync(prefix + name, Buffer.from(a.buffer));
save('.prob.f32', probs);
save('.chunks.f32', chunks);
for (const [name] of states)
  save(`.${name}.f32`, recorded[name]);
console.log(`ort: ${n} chunks`);
