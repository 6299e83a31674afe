/* Calls big_temp.mlir's @sum2, compiled ahead of time, and counts the large
 * blocks its code takes from malloc (linked with -Wl,--wrap=malloc): with
 * qnt-buffer-cache only the first call does. Then four threads call it at
 * once, to check the cache's lock (results must stay right). With the cache,
 * big_release_buffers() then frees every block it kept (-Wl,--wrap=free
 * counts the frees of large blocks; -DRELEASE). */
#include "big.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

void *__real_malloc(size_t size);
void __real_free(void *p);
static int largeMallocs, largeFrees;
#define MAX_LARGE 64
static void *large[MAX_LARGE];
static pthread_mutex_t largeLock = PTHREAD_MUTEX_INITIALIZER;
void *__wrap_malloc(size_t size) {
  void *p = __real_malloc(size);
  if (size >= (1 << 20)) {
    pthread_mutex_lock(&largeLock);
    ++largeMallocs;
    for (int i = 0; i < MAX_LARGE; ++i)
      if (!large[i]) {
        large[i] = p;
        break;
      }
    pthread_mutex_unlock(&largeLock);
  }
  return p;
}
void __wrap_free(void *p) {
  pthread_mutex_lock(&largeLock);
  for (int i = 0; p && i < MAX_LARGE; ++i)
    if (large[i] == p) {
      large[i] = 0;
      ++largeFrees;
    }
  pthread_mutex_unlock(&largeLock);
  __real_free(p);
}

#define N 262144
static float x[N];

static float call(void) {
  big_memref_f32_1d input = {x, x, 0, {N}, {1}};
  big_memref_f32_0d result;
  big_sum2(&result, &input);
  float sum = result.aligned[result.offset];
  free(result.allocated);
  return sum;
}

static void *worker(void *arg) {
  int *bad = arg;
  for (int i = 0; i < 200; ++i)
    if (call() != 2.0f * N)
      ++*bad;
  return NULL;
}

int main(void) {
  for (int i = 0; i < N; ++i)
    x[i] = 1.0f;
  for (int c = 0; c < 4; ++c) {
    largeMallocs = 0;
    float sum = call();
    printf("call %d: sum %g, large mallocs %d\n", c, sum, largeMallocs);
  }
  pthread_t threads[4];
  int bad[4] = {0, 0, 0, 0};
  for (int t = 0; t < 4; ++t)
    pthread_create(&threads[t], NULL, worker, &bad[t]);
  for (int t = 0; t < 4; ++t)
    pthread_join(threads[t], NULL);
  printf("threads: %d wrong sums\n", bad[0] + bad[1] + bad[2] + bad[3]);
#ifdef RELEASE
  int live = 0;
  for (int i = 0; i < MAX_LARGE; ++i)
    live += large[i] != 0;
  largeFrees = 0;
  big_release_buffers();
  printf("release: %d large blocks kept, %d freed\n", live, largeFrees);
#endif
  return 0;
}
