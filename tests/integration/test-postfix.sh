#!/bin/bash
# SPDX-License-Identifier: MIT
# A private Postfix relays through the plugin with smtp's chroot = n, where
# smtp can run sasl-oauth itself (tests/integration/postfix-relay.sh).
PF_CHROOT=n
. "$(dirname "$0")/postfix-relay.sh"
