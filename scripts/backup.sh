#!/usr/bin/env bash
# Back up the Fengqiao database: a pg_dump custom-format archive, named by date, checked after
# writing, optionally encrypted, with its SHA-256 beside it (FILE.sha256: restore.sh checks it).
# Usage: scripts/backup.sh DATABASE_URL [DIR]     (DIR defaults to ./backups)
# Encryption (docs/deployment.md): BACKUP_AGE_RECIPIENT=age1…  (age)  or  BACKUP_GPG_RECIPIENT=KEYID (GnuPG):
# the archive is encrypted to that public key and only the encrypted file is kept.
# On any failure nothing is left behind (no partial file) and the exit status is non-zero.
set -euo pipefail
url="${1:?usage: backup.sh DATABASE_URL [DIR]}"
dir="${2:-backups}"
mkdir -p "$dir"
file="$dir/fengqiao-$(date +%Y%m%d-%H%M%S).dump"
partial="$file.partial"
final="$file"
cleanup() {
    status=$?
    rm -f "$partial" "$partial.enc"
    if [ "$status" -ne 0 ]; then
        rm -f "$final" "$final.sha256"
        echo "backup failed (exit $status): nothing kept" >&2
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
pg_dump --format=custom --no-owner --no-privileges --file="$partial" "$url"
# An archive pg_restore cannot list is no backup.
pg_restore --list "$partial" > /dev/null
if [ -n "${BACKUP_AGE_RECIPIENT:-}" ]; then
    final="$file.age"
    age --encrypt --recipient "$BACKUP_AGE_RECIPIENT" --output "$partial.enc" "$partial"
    mv "$partial.enc" "$partial"
elif [ -n "${BACKUP_GPG_RECIPIENT:-}" ]; then
    final="$file.gpg"
    gpg --batch --yes --trust-model always --encrypt --recipient "$BACKUP_GPG_RECIPIENT" --output "$partial.enc" "$partial"
    mv "$partial.enc" "$partial"
fi
mv "$partial" "$final"
(cd "$(dirname "$final")" && sha256sum "$(basename "$final")" > "$(basename "$final").sha256")
echo "$final"
