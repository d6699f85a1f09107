/* SPDX-License-Identifier: MIT */
/* check: the checks moved to the shared test library, tests/lib/testlib.h.
 * Kept for tests written against the old name; new tests include
 * "testlib.h". */
#ifndef SAO_TEST_CHECK_H
#define SAO_TEST_CHECK_H
#include "testlib.h"
#endif
