// Runs the Fashion-MNIST CNN compiled ahead of time by quant-compile, with
// no QuantOpt, MLIR or LLVM library: only the object, its header and the
// libraries the header names.
//
//   quant-opt examples/fashion-mnist/cnn.linalg.mlir \
//       --qnt-quantize="activations=static stats=cnn-stats.json" \
//       --qnt-codegen -o cnn.ll.mlir
//   quant-compile cnn.ll.mlir -o cnn.o            # also writes cnn.h
//   c++ -O2 -I. examples/aot/run_cnn.cpp cnn.o $(quant-compile ... --print-link-flags)
//   ./a.out images.npy logits.npy                 # float32 [N, 28, 28, 1] -> [N, 10]
//
// The .npy reading and writing below is the minimum for little-endian
// float32 C-order arrays (numpy/lib/format.py), so that the example stands
// alone; its header layout is the one numpy and quant-run write, so the
// output is byte for byte quant-run's out0.npy.
#include "cnn.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Array {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

bool fail(const std::string &message) {
  std::fprintf(stderr, "run_cnn: %s\n", message.c_str());
  return false;
}

/// Reads a float32 .npy file (format version 1 or 2, little-endian, C order).
bool readNpy(const char *path, Array &array) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof())
    return fail(std::string("cannot read ") + path);
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    return fail(std::string(path) + " is not a .npy file");
  unsigned major = uint8_t(bytes[6]);
  size_t lenBytes = major == 1 ? 2 : 4, start = 8 + lenBytes;
  if (bytes.size() < start)
    return fail(std::string(path) + ": truncated header");
  size_t headerLen = 0;
  for (size_t i = 0; i < lenBytes; ++i)
    headerLen |= size_t(uint8_t(bytes[8 + i])) << (8 * i);
  if (bytes.size() < start + headerLen)
    return fail(std::string(path) + ": truncated header");
  std::string header = bytes.substr(start, headerLen);
  if (header.find("'descr': '<f4'") == std::string::npos ||
      header.find("'fortran_order': False") == std::string::npos)
    return fail(std::string(path) + ": expected little-endian float32 in C order");
  size_t open = header.find('(', header.find("'shape'"));
  size_t close = header.find(')', open);
  if (open == std::string::npos || close == std::string::npos)
    return fail(std::string(path) + ": no shape");
  std::stringstream dims(header.substr(open + 1, close - open - 1));
  std::string dim;
  int64_t count = 1;
  array.shape.clear();
  while (std::getline(dims, dim, ','))
    if (dim.find_first_not_of(' ') != std::string::npos) {
      array.shape.push_back(std::stoll(dim));
      count *= array.shape.back();
    }
  if (bytes.size() - start - headerLen != size_t(count) * sizeof(float))
    return fail(std::string(path) + ": data size does not match the shape");
  array.data.resize(count);
  std::memcpy(array.data.data(), bytes.data() + start + headerLen,
              count * sizeof(float));
  return true;
}

/// Writes `shape` and `data` as numpy writes them: version 1.0, the header
/// dict padded with spaces to a multiple of 64 bytes with its newline.
bool writeNpy(const char *path, const std::vector<int64_t> &shape,
              const float *data) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  int64_t count = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    dict += (i ? ", " : "") + std::to_string(shape[i]);
    count *= shape[i];
  }
  dict += shape.size() == 1 ? ",), }" : "), }";
  size_t preamble = 10, total = (preamble + dict.size() + 1 + 63) / 64 * 64;
  size_t headerLen = total - preamble;
  std::string out = "\x93NUMPY";
  out += char(1);
  out += char(0);
  out += char(headerLen & 0xff);
  out += char(headerLen >> 8);
  out += dict;
  out.append(headerLen - dict.size() - 1, ' ');
  out += '\n';
  out.append(reinterpret_cast<const char *>(data), count * sizeof(float));
  std::ofstream file(path, std::ios::binary);
  file.write(out.data(), out.size());
  file.close();
  return file.good() || fail(std::string("cannot write ") + path);
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s images.npy logits.npy\n", argv[0]);
    return 2;
  }
  Array images;
  if (!readNpy(argv[1], images))
    return 1;
  if (images.shape.size() != 4 || images.shape[1] != 28 ||
      images.shape[2] != 28 || images.shape[3] != 1) {
    fail("expected images of shape [N, 28, 28, 1]");
    return 1;
  }

  // The input: a contiguous row-major descriptor over our buffer.
  cnn_memref_f32_4d input;
  input.allocated = input.aligned = images.data.data();
  input.offset = 0;
  int64_t stride = 1;
  for (int d = 3; d >= 0; --d) {
    input.sizes[d] = images.shape[d];
    input.strides[d] = stride;
    stride *= images.shape[d];
  }

  cnn_memref_f32_2d logits;
  cnn_main(&logits, &input);

  // Copy out in row-major order (the result may be strided).
  std::vector<float> out(logits.sizes[0] * logits.sizes[1]);
  for (int64_t i = 0; i < logits.sizes[0]; ++i)
    for (int64_t j = 0; j < logits.sizes[1]; ++j)
      out[i * logits.sizes[1] + j] =
          logits.aligned[logits.offset + i * logits.strides[0] +
                         j * logits.strides[1]];
  bool ok = writeNpy(argv[2], {logits.sizes[0], logits.sizes[1]}, out.data());
  // The result buffer is ours, unless it is a constant of the model.
  if (logits.allocated != reinterpret_cast<float *>(0xdeadbeef) &&
      logits.allocated != images.data.data())
    std::free(logits.allocated);
  return ok ? 0 : 1;
}
