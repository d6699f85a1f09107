#!/bin/bash
# SPDX-License-Identifier: MIT
# A private Postfix relays through the plugin with smtp's chroot = y, as in
# Debian's master.cf: the jail is the instance's queue directory and the
# timer's command keeps the cache fresh from outside
# (tests/integration/postfix-relay.sh).
PF_CHROOT=y
. "$(dirname "$0")/postfix-relay.sh"
