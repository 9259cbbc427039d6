#!/usr/bin/env bash
# Back up the Fengqiao database: a pg_dump custom-format archive, named by date, checked after writing.
# Usage: scripts/backup.sh DATABASE_URL [DIR]     (DIR defaults to ./backups)
set -euo pipefail
url="${1:?usage: backup.sh DATABASE_URL [DIR]}"
dir="${2:-backups}"
mkdir -p "$dir"
file="$dir/fengqiao-$(date +%Y%m%d-%H%M%S).dump"
pg_dump --format=custom --no-owner --no-privileges --file="$file.partial" "$url"
# An archive pg_restore cannot list is no backup.
pg_restore --list "$file.partial" > /dev/null
mv "$file.partial" "$file"
echo "$file"
