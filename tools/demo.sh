#!/usr/bin/env bash
# The main job on a fresh machine: make a repository in a temporary folder, back up a
# directory into it, restore it, and compare the restored tree with the original.
#   bash tools/demo.sh [DIRECTORY]      (default: this project's snapstore/ folder)
set -euo pipefail
source_dir="$(cd "${1:-$(dirname "$0")/../snapstore}" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
head -c 24 /dev/urandom | base64 > "$work/password"
export SNAP_REPOSITORY="$work/repo" SNAP_PASSWORD_FILE="$work/password" SNAP_CACHE_DIR="$work/cache"
snap init
snap backup "$source_dir"
snap backup "$source_dir"   # unchanged: reads nothing, stores nothing
snap snapshots
snap restore latest --target "$work/restore" --verify
diff -r "$source_dir" "$work/restore$source_dir"
echo "demo: restored tree is identical to $source_dir"
