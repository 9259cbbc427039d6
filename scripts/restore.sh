#!/usr/bin/env bash
# Restore a backup made by backup.sh into an EMPTY database (create it first: createdb NAME), then
# give the application's database role its privileges back (the dump holds none: --no-privileges).
# Usage: scripts/restore.sh FILE DATABASE_URL [APP_ROLE]
#   FILE: FILE.dump, or FILE.dump.age (needs BACKUP_AGE_IDENTITY=key file) or FILE.dump.gpg (the
#   key in GnuPG's keyring). FILE.sha256 must be beside it and match: a backup whose checksum
#   fails (damaged, truncated, altered) is refused before anything is restored.
#   APP_ROLE (or FENGQIAO_DB_APP_ROLE): the role the application connects as; see docs/deployment.md.
set -euo pipefail
file="${1:?usage: restore.sh FILE DATABASE_URL [APP_ROLE]}"
url="${2:?usage: restore.sh FILE DATABASE_URL [APP_ROLE]}"
role="${3:-${FENGQIAO_DB_APP_ROLE:-}}"
sums="$file.sha256"
if [ ! -f "$sums" ]; then
    echo "refused: no checksum file $sums beside the backup" >&2
    exit 2
fi
if ! (cd "$(dirname "$file")" && sha256sum --check --status "$(basename "$sums")"); then
    echo "refused: $file does not match its checksum ($sums)" >&2
    exit 2
fi
plain="$file"
tmp=""
trap '[ -n "$tmp" ] && rm -f "$tmp"' EXIT
case "$file" in
    *.age)
        tmp="$(mktemp)"
        age --decrypt --identity "${BACKUP_AGE_IDENTITY:?BACKUP_AGE_IDENTITY: the age key file}" --output "$tmp" "$file"
        plain="$tmp"
        ;;
    *.gpg)
        tmp="$(mktemp)"
        gpg --batch --yes --decrypt --output "$tmp" "$file"
        plain="$tmp"
        ;;
esac
pg_restore --exit-on-error --no-owner --no-privileges --single-transaction --dbname="$url" "$plain"
if [ -n "$role" ]; then
    # The application reads and writes every table but the append-only ones, which it may only
    # read and add to (their triggers refuse UPDATE and DELETE as well).
    psql --quiet --set ON_ERROR_STOP=1 --set role="$role" --dbname="$url" <<'SQL'
GRANT USAGE ON SCHEMA public TO :"role";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"role";
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO :"role";
REVOKE UPDATE, DELETE, TRUNCATE ON casework_caseevent, common_auditentry, reports_snapshot FROM :"role";
SQL
    echo "granted the privileges of $role"
fi
echo "restored $file"
