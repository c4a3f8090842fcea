"""Rule modules, one per category; importing this package registers every rule."""

from desktop.core.checks.rules import (  # noqa: F401 - imported for registration
    causes,
    duplicates,
    exited,
    helpers,
    idnumbers,
    income,
    labour,
    members,
    plausibility,
    required,
    social,
    structure,
    work,
)
