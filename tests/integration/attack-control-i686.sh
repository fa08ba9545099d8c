#!/bin/bash
# The control-channel attacks with 32-bit programs (i686 build, Wine's
# 32-bit loader): the same cases, the same assertions.
ATTACK_ARCH=i686 exec bash "$(dirname "$0")/attack-control.sh" "$@"
