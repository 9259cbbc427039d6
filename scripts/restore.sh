#!/usr/bin/env bash
# Restore a backup made by backup.sh into an EMPTY database (create it first: createdb NAME).
# Usage: scripts/restore.sh FILE.dump DATABASE_URL
set -euo pipefail
file="${1:?usage: restore.sh FILE.dump DATABASE_URL}"
url="${2:?usage: restore.sh FILE.dump DATABASE_URL}"
pg_restore --exit-on-error --no-owner --no-privileges --single-transaction --dbname="$url" "$file"
echo "restored $file"
