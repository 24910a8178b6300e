/* vm-sv48: Sv48 virtual memory, plus a 512 GiB terapage (see vm.inc). */
#define SV48
#include "vm.inc"
