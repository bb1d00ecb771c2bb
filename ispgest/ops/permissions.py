"""What each role may do in operations. Administrador (every permission) sees and runs
the scheduled jobs; no other role does: the jobs act on the whole installation."""

ROLE_PERMISSIONS: dict[str, list[str]] = {}
