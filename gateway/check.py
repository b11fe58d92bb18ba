"""``gateway check [PATH]``: validate policy files without starting anything.

Site owners run this after editing a policy, and CI runs it on ``policies/``. It applies
exactly the rules the server applies at start-up (it calls the same loader), so a clean check
means the server will accept the files.
"""

from __future__ import annotations

from pathlib import Path

from gateway.policy_loader import PolicyError, Problem, load_policies, load_policy_file

__all__ = ["check_policies"]


def check_policies(path: Path) -> list[Problem]:
    """Return every problem in the policy directory or single policy file at ``path``.

    An empty list means valid. A directory is checked as the server loads it, including the
    checks between files (duplicate slugs and ``idsite`` numbers); a single file gets every
    check that concerns it alone. A missing path is itself a problem. Nothing is printed: the
    caller prints ``str(problem)`` for each problem, one per line.
    """
    try:
        if path.is_dir():
            load_policies(path)
        else:
            load_policy_file(path)
    except PolicyError as error:
        return list(error.problems)
    return []
