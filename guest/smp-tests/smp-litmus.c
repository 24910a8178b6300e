/*
 * smp-litmus: litmus tests of RVWMO ordering across harts. Threads run in pairs; in every iteration the two
 * threads of a pair meet at a barrier and then run their halves of the test on two fresh, zeroed words x and y.
 * After the run the outcomes are counted. Fenced (or acquire/release) variants have a forbidden outcome, which
 * must never be seen; the unfenced variants show what the machine does without ordering (those outcomes are
 * allowed by RVWMO and only reported).
 *
 *   MP+fences   T0: x=1; fence rw,w; y=1        T1: while (y==0); fence r,rw; r=x         forbidden: r=0
 *   MP+rl+aq    T0: x=1; amoswap.w.rl y,1       T1: while (amoor.w.aq y,0 == 0); r=x      forbidden: r=0
 *   MP          T0: x=1; y=1                    T1: while (y==0); r=x                     (r=0 allowed)
 *   SB+fences   T0: x=1; fence rw,rw; r0=y      T1: y=1; fence rw,rw; r1=x                forbidden: r0=0, r1=0
 *   SB          T0: x=1; r0=y                   T1: y=1; r1=x                             (r0=0, r1=0 allowed)
 *   LB+fences   T0: r0=x; fence r,w; y=1        T1: r1=y; fence r,w; x=1                  forbidden: r0=1, r1=1
 *
 * Busy-wait loops yield the CPU after 1024 turns (spin_pause), so more threads than harts still make progress.
 *
 * Usage: smp-litmus [-t THREADS] [-n ITERATIONS]   (defaults: online CPUs (at least 2) -> THREADS/2 pairs,
 * 100000 iterations per pair and test). Prints the outcome counts of each test and "smp-litmus: PASS" (exit 0)
 * when no forbidden outcome was seen, else FAIL (exit 1).
 */
#include "smp-common.h"

#define FENCE(spec) __asm__ volatile("fence " spec ::: "memory")

static inline void st(volatile uint32_t *p, uint32_t v) { __asm__ volatile("sw %0, (%1)" ::"r"(v), "r"(p) : "memory"); }
static inline uint32_t ld(volatile uint32_t *p) {
  uint32_t v;
  __asm__ volatile("lw %0, (%1)" : "=r"(v) : "r"(p) : "memory");
  return v;
}

enum test_id { MP_FENCES, MP_RL_AQ, MP_PLAIN, SB_FENCES, SB_PLAIN, LB_FENCES, NTESTS };

static const struct {
  const char *name;
  int has_forbidden;
  const char *forbidden; /* description of the forbidden (or interesting) outcome */
} tests[NTESTS] = {
    [MP_FENCES] = {"MP+fences", 1, "flag seen, data 0"},
    [MP_RL_AQ] = {"MP+rl+aq", 1, "flag seen, data 0"},
    [MP_PLAIN] = {"MP", 0, "flag seen, data 0"},
    [SB_FENCES] = {"SB+fences", 1, "r0=0 r1=0"},
    [SB_PLAIN] = {"SB", 0, "r0=0 r1=0"},
    [LB_FENCES] = {"LB+fences", 1, "r0=1 r1=1"},
};

/* Two threads' arrival counts, on separate 64-byte lines. */
struct pair_barrier {
  uint32_t count[2][16];
};

static inline void pair_wait(struct pair_barrier *b, int me, uint32_t round) {
  __atomic_store_n(&b->count[me][0], round, __ATOMIC_RELEASE);
  unsigned spins = 0;
  while (__atomic_load_n(&b->count[1 - me][0], __ATOMIC_ACQUIRE) < round) spin_pause(&spins);
}

struct pair {
  struct pair_barrier barrier;
  uint32_t *x, *y;   /* per iteration, on separate pages */
  uint8_t *r0, *r1;  /* what each thread read */
};

static struct pair *pairs;
static int npairs;
static long iterations;
static enum test_id current;
static struct start_gate gate;

static void run_role(struct pair *p, int me) {
  volatile uint32_t *xs = p->x, *ys = p->y;
  uint32_t round = 0;
  for (long i = 0; i < iterations; i++) {
    volatile uint32_t *x = &xs[i], *y = &ys[i];
    uint32_t r = 0;
    pair_wait(&p->barrier, me, ++round);
    switch (current) {
      case MP_FENCES:
        if (me == 0) {
          st(x, 1);
          FENCE("rw,w");
          st(y, 1);
        } else {
          unsigned spins = 0;
          while (ld(y) == 0) spin_pause(&spins);
          FENCE("r,rw");
          r = ld(x);
        }
        break;
      case MP_RL_AQ:
        if (me == 0) {
          uint32_t old;
          st(x, 1);
          __asm__ volatile("amoswap.w.rl %0, %1, (%2)" : "=r"(old) : "r"(1), "r"(y) : "memory");
          (void)old;
        } else {
          uint32_t f;
          unsigned spins = 0;
          for (;;) {
            __asm__ volatile("amoor.w.aq %0, zero, (%1)" : "=r"(f) : "r"(y) : "memory");
            if (f != 0) break;
            spin_pause(&spins);
          }
          r = ld(x);
        }
        break;
      case MP_PLAIN:
        if (me == 0) {
          st(x, 1);
          st(y, 1);
        } else {
          unsigned spins = 0;
          while (ld(y) == 0) spin_pause(&spins);
          r = ld(x);
        }
        break;
      case SB_FENCES:
        if (me == 0) {
          st(x, 1);
          FENCE("rw,rw");
          r = ld(y);
        } else {
          st(y, 1);
          FENCE("rw,rw");
          r = ld(x);
        }
        break;
      case SB_PLAIN:
        if (me == 0) {
          st(x, 1);
          r = ld(y);
        } else {
          st(y, 1);
          r = ld(x);
        }
        break;
      case LB_FENCES:
        if (me == 0) {
          r = ld(x);
          FENCE("r,w");
          st(y, 1);
        } else {
          r = ld(y);
          FENCE("r,w");
          st(x, 1);
        }
        break;
      default:
        break;
    }
    (me == 0 ? p->r0 : p->r1)[i] = (uint8_t)r;
  }
}

static void *worker(void *arg) {
  int id = (int)(intptr_t)arg;
  gate_wait(&gate);
  run_role(&pairs[id / 2], id % 2);
  return NULL;
}

static void *xalloc(size_t n) {
  void *p = NULL;
  if (posix_memalign(&p, 4096, n) != 0) {
    perror("posix_memalign");
    exit(2);
  }
  memset(p, 0, n);
  return p;
}

int TEST_MAIN(smp_litmus)(int argc, char **argv);
int TEST_MAIN(smp_litmus)(int argc, char **argv) {
  struct options o = parse_options(argc, argv, 100000, "smp-litmus");
  npairs = o.threads / 2 > 0 ? o.threads / 2 : 1;
  iterations = o.iterations;
  printf("smp-litmus: %d pair(s) of threads x %ld iterations per test, %ld CPUs online\n", npairs, iterations,
         online_cpus());
  pairs = xalloc(sizeof *pairs * (size_t)npairs);
  size_t words = (size_t)iterations * sizeof(uint32_t);
  for (int k = 0; k < npairs; k++) {
    pairs[k].x = xalloc(words);
    pairs[k].y = xalloc(words);
    pairs[k].r0 = xalloc((size_t)iterations);
    pairs[k].r1 = xalloc((size_t)iterations);
  }

  int forbidden_seen = 0;
  double t0 = now_seconds();
  for (int t = 0; t < NTESTS; t++) {
    current = (enum test_id)t;
    for (int k = 0; k < npairs; k++) {
      memset(&pairs[k].barrier, 0, sizeof pairs[k].barrier);
      memset(pairs[k].x, 0, words);
      memset(pairs[k].y, 0, words);
    }
    gate_init(&gate, 2 * npairs);
    double ts = now_seconds();
    run_threads(2 * npairs, worker);
    double secs = now_seconds() - ts;

    /* Outcome histogram over (r0, r1); for MP only r1 (the reader's data) matters. */
    uint64_t hist[2][2] = {{0, 0}, {0, 0}};
    for (int k = 0; k < npairs; k++)
      for (long i = 0; i < iterations; i++) hist[pairs[k].r0[i] & 1][pairs[k].r1[i] & 1]++;
    uint64_t hits;
    char detail[128];
    if (t == MP_FENCES || t == MP_RL_AQ || t == MP_PLAIN) {
      hits = hist[0][0] + hist[1][0];
      snprintf(detail, sizeof detail, "data=1: %" PRIu64 "  data=0: %" PRIu64, hist[0][1] + hist[1][1], hits);
    } else {
      hits = t == LB_FENCES ? hist[1][1] : hist[0][0];
      snprintf(detail, sizeof detail, "00: %" PRIu64 "  01: %" PRIu64 "  10: %" PRIu64 "  11: %" PRIu64, hist[0][0],
               hist[0][1], hist[1][0], hist[1][1]);
    }
    const char *verdict;
    if (tests[t].has_forbidden) {
      verdict = hits == 0 ? "ok" : "FORBIDDEN OUTCOME SEEN";
      if (hits != 0) forbidden_seen = 1;
    } else {
      verdict = hits == 0 ? "allowed, not seen" : "allowed, seen";
    }
    printf("  %-10s %-40s %s (%s: %" PRIu64 ") %.2f s\n", tests[t].name, detail, verdict, tests[t].forbidden, hits,
           secs);
  }
  printf("smp-litmus: %s in %.2f s\n", forbidden_seen ? "FAIL" : "PASS", now_seconds() - t0);
  return forbidden_seen ? 1 : 0;
}
