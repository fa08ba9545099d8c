#!/bin/bash
# The adversarial suite with 32-bit attacked programs (i686 build, Wine's
# 32-bit loader): the same cases, the same assertions.
ADV_ARCH=i686 exec bash "$(dirname "$0")/adversarial.sh" "$@"
