/* One binary for all SMP tests: run as smp-counters or smp-litmus (symlinks), or as `smp-tests NAME [ARGS]`. */
#include <stdio.h>
#include <string.h>

int smp_counters_main(int argc, char **argv);
int smp_litmus_main(int argc, char **argv);

static const struct {
  const char *name;
  int (*main)(int, char **);
} tests[] = {{"smp-counters", smp_counters_main}, {"smp-litmus", smp_litmus_main}};

int main(int argc, char **argv) {
  for (int shift = 0; shift < 2 && shift < argc; shift++) {
    const char *slash = strrchr(argv[shift], '/');
    const char *name = slash ? slash + 1 : argv[shift];
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
      if (strcmp(name, tests[i].name) == 0) return tests[i].main(argc - shift, argv + shift);
  }
  fprintf(stderr, "usage: smp-tests smp-counters|smp-litmus [-t THREADS] [-n ITERATIONS]\n");
  return 2;
}
