/* hello: prints "hello from bare metal\n" through the HTIF console and exits with 0. */
#include "test.h"
TEST_NAME("hello")

TEST_BEGIN
    la a0, hello_msg
    call puts
    TEST_PASS

    .section .rodata
hello_msg: .asciz "hello from bare metal\n"
