/* Calls both entries of two.mlir through the generated header (as C). */
#include "two.h"

#include <stdio.h>
#include <stdlib.h>

int main(void) {
  float x[3] = {1.5f, -2.25f, 7.0f};
  two_memref_f32_1d input = {x, x, 0, {3}, {1}};
  two_two_results r;
  two_two(&r, &input);
  for (int i = 0; i < 3; ++i)
    printf("doubled %g int %d\n", r.result0.aligned[r.result0.offset + i],
           (int)r.result1.aligned[r.result1.offset + i * r.result1.strides[0]]);
  printf("sum %g\n", r.result2.aligned[r.result2.offset]);
  free(r.result0.allocated);
  free(r.result1.allocated);
  free(r.result2.allocated);

  float y[4] = {0.0f, 1.0f, -5.0f, 200.0f};
  two_memref_f32_1d qin = {y, y, 0, {4}, {1}};
  two_memref_u8_1d q;
  two_quantize(&q, &qin);
  for (int i = 0; i < 4; ++i)
    printf("q %u\n", (unsigned)q.aligned[q.offset + i]);
  free(q.allocated);
  return 0;
}
