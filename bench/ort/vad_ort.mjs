// Runs the Silero voice-activity model with ONNX Runtime (npm's
// onnxruntime-node) over a 16 kHz mono stream in chunks of 512 samples,
// carrying the recurrent state from chunk to chunk, as a VAD does:
//
//   node vad_ort.mjs MODEL.onnx AUDIO.f32 OUT_PREFIX
//
// AUDIO.f32 is raw little-endian float32. Writes OUT_PREFIX.prob.f32 (one
// speech probability per chunk), OUT_PREFIX.chunks.f32 ([N, 512], the
// inputs) and OUT_PREFIX.state.f32 ([2, N, 128], the state each chunk saw),
// so that another engine can run the same N steps as one batch.
import * as ort from 'onnxruntime-node';
import { readFileSync, writeFileSync } from 'node:fs';

const [model, audioFile, prefix] = process.argv.slice(2);
const raw = readFileSync(audioFile);
const audio = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
const session = await ort.InferenceSession.create(model, {
  intraOpNumThreads: 1, interOpNumThreads: 1,
});
const CHUNK = 512, STATE = 2 * 128;
const n = Math.floor(audio.length / CHUNK);
const probs = new Float32Array(n);
const chunks = new Float32Array(n * CHUNK);
const states = new Float32Array(2 * n * 128);
let state = new Float32Array(STATE);
const sr = new ort.Tensor('int64', BigInt64Array.from([16000n]), []);
for (let i = 0; i < n; ++i) {
  const chunk = audio.slice(i * CHUNK, (i + 1) * CHUNK);
  chunks.set(chunk, i * CHUNK);
  // state [2, 1, 128] -> row i of [2, N, 128].
  states.set(state.subarray(0, 128), i * 128);
  states.set(state.subarray(128, 256), (n + i) * 128);
  const out = await session.run({
    input: new ort.Tensor('float32', chunk, [1, CHUNK]),
    state: new ort.Tensor('float32', state, [2, 1, 128]),
    sr,
  });
  probs[i] = out.output.data[0];
  state = Float32Array.from(out.stateN.data);
}
const save = (name, a) => writeFileSync(prefix + name, Buffer.from(a.buffer));
save('.prob.f32', probs);
save('.chunks.f32', chunks);
save('.state.f32', states);
console.log(`ort: ${n} chunks`);
