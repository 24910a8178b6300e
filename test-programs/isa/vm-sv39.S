/* vm-sv39: Sv39 virtual memory (see vm.inc). */
#include "vm.inc"
