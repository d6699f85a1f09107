#!/bin/bash
# SPDX-License-Identifier: MIT
# docs/clients/mutt.md with neomutt: see test-mutt.sh.
MUTT=neomutt exec "$(dirname "$0")/test-mutt.sh"
