# Tests of what a user or packager meets outside the pipeline itself: the
# git tree after an in-tree build, the Debian packaging, the README.
TESTS += tests/gitignore.sh
EXTRA_DIST += tests/gitignore.sh
TESTS += tests/sc-fetch.sh
EXTRA_DIST += tests/sc-fetch.sh
TESTS += tests/messages.sh
EXTRA_DIST += tests/messages.sh
TESTS += tests/openblas.sh
EXTRA_DIST += tests/openblas.sh
TESTS += tests/debian-control.sh
EXTRA_DIST += tests/debian-control.sh
TESTS += tests/readme.sh
EXTRA_DIST += tests/readme.sh
