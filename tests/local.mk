# Every test layer keeps its rules in its own folder.
include tests/unit/local.mk
include tests/fuzz/local.mk
include tests/conformance/local.mk
include tests/exports/local.mk
include tests/integration/local.mk
include tests/bench/local.mk
