/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "sasl-oauth/clock.h"

int64_t sao_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sao_clock_sleep_ms(int64_t ms)
{
	struct timespec ts, rem;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	/* A signal the host handles must not shorten a wait a server asked for. */
	while (nanosleep(&ts, &rem) != 0 && errno == EINTR)
		ts = rem;
}

int sao_clock_poll(int64_t deadline, int64_t step)
{
	int64_t left = deadline - sao_clock_ms();

	if (left <= 0)
		return 0;
	sao_clock_sleep_ms(left < step ? left : step);
	return 1;
}

void sao_clock_utc(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0)
		snprintf(buf, size, "unknown");
	else if (gmtime_r(&tt, &tm) == NULL || strftime(buf, size, "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "%lld", (long long)t);
}
