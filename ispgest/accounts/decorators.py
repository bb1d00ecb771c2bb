from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def staff_required(*perms: str):
    """Login required (redirect to the login page), then every permission in `perms` (403)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perms(perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.required_permissions = perms
        return wrapper

    return decorator


class StaffRequiredMixin:
    """Class-view twin of staff_required: set `permission_required = ("app.perm", ...)`."""

    permission_required: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.has_perms(self.permission_required):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)
