"""Where the site's files live (Django's default storage), from the environment.

On the local disk under MEDIA_ROOT for one machine (`make run`); in an S3-compatible bucket
(MinIO) when FENGQIAO_S3_BUCKET is set, so that a file written on one web machine is read by a
worker on another. Credentials are boto3's own: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the
environment, or the machine's role; never in the settings file.
"""

from collections.abc import Mapping

S3_BACKEND = "storages.backends.s3.S3Storage"
FILESYSTEM_BACKEND = "django.core.files.storage.FileSystemStorage"


def storage_for(environ: Mapping[str, str]) -> dict:
    """The STORAGES["default"] entry the environment asks for."""
    bucket = environ.get("FENGQIAO_S3_BUCKET", "")
    if not bucket:
        return {"BACKEND": FILESYSTEM_BACKEND}
    return {
        "BACKEND": S3_BACKEND,
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": environ.get("FENGQIAO_S3_ENDPOINT_URL") or None,
            "region_name": environ.get("FENGQIAO_S3_REGION") or None,
            "location": environ.get("FENGQIAO_S3_PREFIX", ""),
            # MinIO and most on-premises servers answer on one host name, the bucket in the path.
            "addressing_style": environ.get("FENGQIAO_S3_ADDRESSING_STYLE", "path"),
            "signature_version": "s3v4",
            # Private objects; a name is never reused, so no upload replaces another.
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }
