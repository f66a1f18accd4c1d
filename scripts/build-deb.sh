#!/bin/sh
# Build the Debian packages from the committed tree (git archive HEAD) in a
# scratch directory, so the working tree is never configured in place.
# Usage: scripts/build-deb.sh [OUTDIR]   (needs debhelper, dpkg-dev, fakeroot)
# Extra dpkg-buildpackage options via DEB_OPTS, e.g. DEB_OPTS=-Ppkg.sc.cuda.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/../sc-debs}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/sc" "$out"
(cd "$top" && git archive HEAD) | tar -x -C "$work/sc"
cd "$work/sc"
DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-nocheck parallel=2}" \
  dpkg-buildpackage -us -uc -b ${DEB_OPTS:-}
mv "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes "$out"/
ls -l "$out"/*.deb
