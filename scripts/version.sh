#!/bin/sh
# version.sh prints procsnap's semantic version, from git, for `make build`:
#
#   HEAD tagged vX.Y.Z                 X.Y.Z+COMMIT
#   N commits after vX.Y.Z             X.Y.(Z+1)-dev.N+COMMIT
#   N commits after vX.Y.Z-PRE         X.Y.Z-PRE.dev.N+COMMIT
#   no vX.Y.Z tag yet                  0.0.0-dev+COMMIT
#   not a git checkout                 0.0.0-dev
#
# COMMIT is the commit's abbreviated hash, with ".dirty" when tracked files
# have changes. Every form sorts as semver says it should: a build after a
# tag is newer than the tag and older than the next release.
set -u
commit=$(git rev-parse --short=12 HEAD 2>/dev/null) || { echo 0.0.0-dev; exit 0; }
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
	commit="$commit.dirty"
fi
tag=$(git describe --tags --match 'v[0-9]*.[0-9]*.[0-9]*' --abbrev=0 2>/dev/null) || {
	echo "0.0.0-dev+$commit"
	exit 0
}
n=$(git rev-list --count "$tag..HEAD")
v=${tag#v}
if [ "$n" -eq 0 ]; then
	echo "$v+$commit"
	exit 0
fi
case $v in
*-*) echo "$v.dev.$n+$commit" ;;
*)
	patch=${v##*.}
	echo "${v%.*}.$((patch + 1))-dev.$n+$commit"
	;;
esac
