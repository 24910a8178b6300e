/* Helpers shared by the SMP guest tests: options, thread start-up, timing. Header-only. */
#ifndef SMP_COMMON_H
#define SMP_COMMON_H

#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline long online_cpus(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n;
}

static inline double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct options {
  int threads;
  long iterations;
};

/* -t THREADS (default: online CPUs, at least 2) and -n ITERATIONS (default `iterations`). */
static inline struct options parse_options(int argc, char **argv, long iterations, const char *name) {
  struct options o = {(int)online_cpus(), iterations};
  if (o.threads < 2) o.threads = 2;
  int opt;
  while ((opt = getopt(argc, argv, "t:n:h")) != -1) {
    switch (opt) {
      case 't': o.threads = atoi(optarg); break;
      case 'n': o.iterations = atol(optarg); break;
      default:
        fprintf(stderr, "usage: %s [-t THREADS] [-n ITERATIONS]\n", name);
        exit(opt == 'h' ? 0 : 2);
    }
  }
  if (o.threads < 1 || o.threads > 64 || o.iterations < 1) {
    fprintf(stderr, "%s: need 1 <= THREADS <= 64 and ITERATIONS >= 1\n", name);
    exit(2);
  }
  return o;
}

/*
 * Called in every busy-wait loop: after 1024 turns, give the CPU away. With more threads than harts (e.g. two
 * threads on a 1-hart guest) the thread being waited for may not be running, and a pure spin would burn the rest
 * of the time slice every time.
 */
static inline void spin_pause(unsigned *spins) {
  if ((++*spins & 1023) == 0) sched_yield();
}

/* A one-shot gate: every thread waits until all have arrived, so their loops really overlap. */
struct start_gate {
  int total;
  int arrived;
};

static inline void gate_init(struct start_gate *g, int total) {
  g->total = total;
  g->arrived = 0;
}

static inline void gate_wait(struct start_gate *g) {
  __atomic_fetch_add(&g->arrived, 1, __ATOMIC_ACQ_REL);
  unsigned spins = 0;
  while (__atomic_load_n(&g->arrived, __ATOMIC_ACQUIRE) < g->total) spin_pause(&spins);
}

/* Runs fn(i) for i = 0..n-1 on n threads (the calling thread waits) and joins them. */
static inline void run_threads(int n, void *(*fn)(void *)) {
  pthread_t *t = calloc(n > 0 ? (size_t)n : 1, sizeof *t);
  if (t == NULL) {
    perror("calloc");
    exit(2);
  }
  for (int i = 0; i < n; i++) {
    int e = pthread_create(&t[i], NULL, fn, (void *)(intptr_t)i);
    if (e != 0) {
      fprintf(stderr, "pthread_create: %s\n", strerror(e));
      exit(2);
    }
  }
  for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
  free(t);
}

/*
 * The tests are linked into one static binary (glibc's static pthread and stdio code would otherwise be in the
 * initramfs once per test): each test's entry point is TEST_MAIN(name), and multicall.c's main dispatches on the
 * name it was run as. Built alone (-DSTANDALONE), a test's entry point is plain main.
 */
#ifdef STANDALONE
#define TEST_MAIN(name) main
#else
#define TEST_MAIN(name) name##_main
#endif

#endif
