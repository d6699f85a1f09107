#!/bin/bash
# SPDX-License-Identifier: MIT
# The short soak of make check: three simulated days with an outage of the
# token endpoint, on the schedule of "make soak" (tests/soak/soak.py).
# Fails when a person would have had to sign in again, a mail was lost or a
# cache was corrupt.
exec bash "$(dirname "$0")/soak.sh" --days 3 --outage-days 1 --seed 7
