import threading
from dataclasses import dataclass

from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from common.models import Notice

UserModel = get_user_model()


class SignInThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for every sign-in that comes with a request.

    Every HTTP sign-in (the login page, the admin, the API's token endpoint) passes its
    request and is throttled. Only in-process callers without one (the test client's
    `login()`, a shell) have no address to lock and are let through to ModelBackend.
    """

    def authenticate(self, request=None, *args, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)


# axes stores the attempted username in a varchar(255); a longer one (anyone can type it) made
# every sign-in form answer 500. No real username is longer than the User model's 150.
USERNAME_LIMIT = 150


def attempted_username(request, credentials) -> str | None:
    """AXES_USERNAME_CALLABLE: the username a sign-in attempt is recorded and throttled under."""
    username = (credentials or {}).get("username")
    return username[:USERNAME_LIMIT] if isinstance(username, str) else username


class AccountBackend(ModelBackend):
    """Django's accounts, with the unread notice count read in the same query as the signed-in user.

    Every page shows the count in its menu; a COUNT of its own would cost each page a query
    (the pages' budget is 8). The subquery runs on the (user, read_at) index.

    Every request reads its user afresh from the database, so a deactivation, a changed role or
    password counts on the very next request. The statement is built by the ORM once per process
    and database (building it cost more CPU than running it), then run with the user's id.
    """

    def get_user(self, user_id):
        try:
            user_id = UserModel._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        statement = _user_statement(connections[DEFAULT_DB_ALIAS])
        params = list(statement.params)
        params[statement.at] = user_id
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(statement.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        # The columns' converters, as the ORM applies them (the roles' JSON is text until decoded).
        (row,) = statement.compiler.apply_converters([row], statement.converters)
        user = UserModel.from_db(DEFAULT_DB_ALIAS, _USER_COLUMNS, row[:-1])
        user.unread_notice_count = row[-1]
        return user if self.user_can_authenticate(user) else None


_USER_COLUMNS = [field.attname for field in UserModel._meta.concrete_fields]
# A user id no row has: it marks where the id goes among the statement's parameters.
_MARK = -(2**31) + 7


@dataclass(frozen=True)
class Statement:
    sql: str
    params: tuple
    at: int  # where the user id goes among the parameters
    compiler: object
    converters: dict
    connection: object  # the connection it was compiled for: its converters are bound to it


# Per thread (a gthread worker's threads each have their own connection), built again for a new one.
_local = threading.local()


def _user_statement(connection) -> Statement:
    """The signed-in user's row and unread count, as the ORM builds and decodes it."""
    held = getattr(_local, "statement", None)
    if held is None or held.connection is not connection:
        unread = (
            Notice.objects.filter(user_id=OuterRef("pk"), read_at__isnull=True)
            .order_by()
            .values("user_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        query = (
            UserModel._default_manager.annotate(unread_notice_count=Coalesce(Subquery(unread), 0))
            .filter(pk=_MARK)
            .values_list(*_USER_COLUMNS, "unread_notice_count")
            .query
        )
        compiler = query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        converters = compiler.get_converters([column for column, _sql, _alias in compiler.select])
        at = next(i for i, value in enumerate(params) if value == _MARK)
        held = _local.statement = Statement(sql, tuple(params), at, compiler, converters, connection)
    return held
