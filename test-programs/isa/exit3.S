/* exit3: exits with code 3 (and prints nothing), to test that the exit status is propagated. */
#include "test.h"
TEST_NAME("exit3")

TEST_BEGIN
    li a0, 3
    j exit
