/* SPDX-License-Identifier: MIT */
/*
 * clock: time for deadlines (monotonic milliseconds), sleeping that a
 * signal cannot shorten, and UTC stamps for messages. Stateless.
 */
#ifndef SAO_CLOCK_H
#define SAO_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Milliseconds on the monotonic clock: for deadlines, never for dates. */
int64_t sao_clock_ms(void);

/* Sleeps ms milliseconds (nothing for ms <= 0), resuming after signals. */
void sao_clock_sleep_ms(int64_t ms);

/* One wait of a polling loop with a deadline (on sao_clock_ms()): sleeps
 * step ms, or only until the deadline. Returns 0, without sleeping, once
 * the deadline has passed. */
int sao_clock_poll(int64_t deadline, int64_t step);

/* "2026-11-30 10:37:15Z" for UTC seconds t; "unknown" for 0. */
void sao_clock_utc(int64_t t, char *buf, size_t size);

#endif
