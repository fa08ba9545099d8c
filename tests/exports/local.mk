# The layering DLLs export everything Wine's own do, with the same ordinals.
TESTS += tests/exports/check-exports.sh
EXTRA_DIST += tests/exports/check-exports.sh
