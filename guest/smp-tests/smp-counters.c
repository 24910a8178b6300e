/*
 * smp-counters: N threads increment shared counters at the same time, each by a different RISC-V atomic
 * mechanism, and check that no increment is lost.
 *
 *   amoadd.d      __atomic_fetch_add on a 64-bit counter (compiles to amoadd.d)
 *   amoadd.w      the same on a 32-bit counter (amoadd.w)
 *   lr.d/sc.d     an LR/SC retry loop on a 64-bit counter (inline asm)
 *   lr.w/sc.w     the same on a 32-bit counter
 *   amoswap lock  a plain (non-atomic) load/add/store of a 64-bit counter inside a spinlock taken with
 *                 amoswap.w.aq and released with amoswap.w.rl: exact only if the aq/rl ordering holds
 *
 * The four 32/64-bit counters share one 64-byte block (two of them in the same 8-byte word), so the harts
 * also contend for neighbouring bytes, as a reservation granule would see them.
 *
 * Usage: smp-counters [-t THREADS] [-n ITERATIONS]   (defaults: online CPUs (at least 2), 1000000 per thread)
 * Prints one line per counter and "smp-counters: PASS" (exit 0) when every total is exact, else FAIL (exit 1).
 */
#include "smp-common.h"

struct counters {
  uint64_t amo64;
  uint32_t amo32;
  uint32_t lrsc32;
  uint64_t lrsc64;
  uint64_t locked;
  uint32_t lock;
} __attribute__((aligned(64)));

static struct counters c;
static long iterations;
static struct start_gate gate;
static uint64_t sc_failures64, sc_failures32;
static uint64_t lock_spins;

/* One LR/SC increment of a 64-bit word; returns how many times the SC failed before it succeeded. */
static inline unsigned lrsc_inc64(volatile uint64_t *p) {
  uint64_t v, fail;
  unsigned retries = 0;
  for (;;) {
    __asm__ volatile(
        "lr.d %0, (%2)\n\t"
        "addi %0, %0, 1\n\t"
        "sc.d %1, %0, (%2)"
        : "=&r"(v), "=&r"(fail)
        : "r"(p)
        : "memory");
    if (fail == 0) return retries;
    retries++;
  }
}

/* The same on a 32-bit word, as a single asm loop (the form compilers emit for word CAS loops). */
static inline unsigned lrsc_inc32(volatile uint32_t *p) {
  uint32_t v;
  uint64_t fail, retries = 0;
  __asm__ volatile(
      "1: lr.w %0, (%3)\n\t"
      "addiw %0, %0, 1\n\t"
      "sc.w %1, %0, (%3)\n\t"
      "beqz %1, 2f\n\t"
      "addi %2, %2, 1\n\t"
      "j 1b\n"
      "2:"
      : "=&r"(v), "=&r"(fail), "+r"(retries)
      : "r"(p)
      : "memory");
  return (unsigned)retries;
}

static inline unsigned spin_lock(volatile uint32_t *l) {
  uint32_t old;
  unsigned spins = 0;
  for (;;) {
    __asm__ volatile("amoswap.w.aq %0, %1, (%2)" : "=r"(old) : "r"(1), "r"(l) : "memory");
    if (old == 0) return spins;
    while (*l != 0) spin_pause(&spins);
  }
}

static inline void spin_unlock(volatile uint32_t *l) {
  uint32_t old;
  __asm__ volatile("amoswap.w.rl %0, zero, (%1)" : "=r"(old) : "r"(l) : "memory");
  (void)old;
}

static void *worker(void *arg) {
  (void)arg;
  uint64_t f64 = 0, f32 = 0, spins = 0;
  gate_wait(&gate);
  for (long i = 0; i < iterations; i++) {
    __atomic_fetch_add(&c.amo64, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&c.amo32, 1, __ATOMIC_RELAXED);
    f64 += lrsc_inc64(&c.lrsc64);
    f32 += lrsc_inc32(&c.lrsc32);
    spins += spin_lock(&c.lock);
    volatile uint64_t *plain = &c.locked;
    *plain = *plain + 1;
    spin_unlock(&c.lock);
  }
  __atomic_fetch_add(&sc_failures64, f64, __ATOMIC_RELAXED);
  __atomic_fetch_add(&sc_failures32, f32, __ATOMIC_RELAXED);
  __atomic_fetch_add(&lock_spins, spins, __ATOMIC_RELAXED);
  return NULL;
}

static int report(const char *what, uint64_t got, uint64_t want, const char *extra) {
  int ok = got == want;
  printf("  %-14s %12" PRIu64 " / %-12" PRIu64 " %s%s\n", what, got, want, ok ? "exact" : "LOST UPDATES", extra);
  return ok;
}

int TEST_MAIN(smp_counters)(int argc, char **argv);
int TEST_MAIN(smp_counters)(int argc, char **argv) {
  struct options o = parse_options(argc, argv, 1000000, "smp-counters");
  iterations = o.iterations;
  printf("smp-counters: %d threads x %ld iterations, %ld CPUs online\n", o.threads, o.iterations, online_cpus());
  double t0 = now_seconds();
  gate_init(&gate, o.threads);
  run_threads(o.threads, worker);
  double secs = now_seconds() - t0;

  uint64_t want = (uint64_t)o.threads * (uint64_t)o.iterations;
  char buf64[64], buf32[64], bufl[64];
  snprintf(buf64, sizeof buf64, " (sc.d failed %" PRIu64 " times)", sc_failures64);
  snprintf(buf32, sizeof buf32, " (sc.w failed %" PRIu64 " times)", sc_failures32);
  snprintf(bufl, sizeof bufl, " (waited %" PRIu64 " spins)", lock_spins);
  int ok = 1;
  ok &= report("amoadd.d", c.amo64, want, "");
  ok &= report("amoadd.w", c.amo32, (uint32_t)want, "");
  ok &= report("lr.d/sc.d", c.lrsc64, want, buf64);
  ok &= report("lr.w/sc.w", c.lrsc32, (uint32_t)want, buf32);
  ok &= report("amoswap lock", c.locked, want, bufl);
  printf("smp-counters: %s in %.2f s\n", ok ? "PASS" : "FAIL", secs);
  return ok ? 0 : 1;
}
