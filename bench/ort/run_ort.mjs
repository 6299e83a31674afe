// Runs an ONNX model with ONNX Runtime (npm's onnxruntime-node) on a float32
// input and writes its first output, for comparisons with QuantOpt:
//
//   node run_ort.mjs MODEL.onnx INPUT.f32 D0,D1,... OUTPUT.f32 [THREADS] [REPEATS]
//                    [NAME=FILE.f32@D0,D1,... | NAME=i64:V ...]
//
// INPUT.f32 (the model's first input) and OUTPUT.f32 are raw little-endian
// float32 (numpy's tofile/fromfile); an input named *.u8 is raw uint8
// instead, one named *.i64 raw int64 (token ids), and the output holds the first output's raw bytes in its own
// element type. More inputs follow by name: a float32 file with its shape, or
// an int64 scalar (Silero's state and sample rate). Prints the median time of
// REPEATS calls (after one warm-up) in milliseconds.
import * as ort from 'onnxruntime-node';
import { readFileSync, writeFileSync } from 'node:fs';

const [model, input, dims, output, threads = '1', repeats = '5', ...extra] =
  process.argv.slice(2);
const shape = dims.split(',').map(Number);
const raw = readFileSync(input);
const isU8 = input.endsWith('.u8');
const isI64 = input.endsWith('.i64');
const kind = isU8 ? 'uint8' : isI64 ? 'int64' : 'float32';
const data = isU8 ? new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)
           : isI64 ? new BigInt64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength))
                   : new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
const session = await ort.InferenceSession.create(model, {
  intraOpNumThreads: Number(threads), interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
});
const feeds = { [session.inputNames[0]]: new ort.Tensor(kind, data, shape) };
for (const spec of extra) {
  const eq = spec.indexOf('=');
  const [name, value] = [spec.slice(0, eq), spec.slice(eq + 1)];
  if (value.startsWith('i64:')) {
    feeds[name] = new ort.Tensor('int64', BigInt64Array.from([BigInt(value.slice(4))]), []);
  } else {
    const [file, shape] = value.split('@');
    const bytes = readFileSync(file);
    feeds[name] = new ort.Tensor(
      'float32', new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4),
      shape.split(',').map(Number));
  }
}
let result = await session.run(feeds);
const times = [];
for (let i = 0; i < Number(repeats); ++i) {
  const start = process.hrtime.bigint();
  result = await session.run(feeds);
  times.push(Number(process.hrtime.bigint() - start) / 1e6);
}
times.sort((a, b) => a - b);
const out = result[session.outputNames[0]].data;
writeFileSync(output, Buffer.from(out.buffer, out.byteOffset, out.byteLength));
console.log(`ort median ms: ${times[Math.floor(times.length / 2)].toFixed(3)}`);
