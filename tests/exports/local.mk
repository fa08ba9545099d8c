# The layering DLLs export everything Wine's own do, with the same names
# and ordinals; the checker itself is checked on both binutils formats
# and on a deliberately broken table; secsockctl install refuses DLLs
# built for a Wine whose exports differ.
TESTS += tests/exports/check-exports.sh tests/exports/checker-selftest.sh tests/exports/install-mismatch.sh
EXTRA_DIST += tests/exports/check-exports.sh tests/exports/checker-selftest.sh tests/exports/install-mismatch.sh \
	tests/exports/objdump-2.40.txt tests/exports/objdump-2.44.txt
