"""docs/checks.md lists every rule (generated table up to date) and every setting."""

from __future__ import annotations

from desktop.core.checks import RULES
from desktop.core.checks import docs as checks_docs
from desktop.core.checks import settings as check_settings


def _keys(mapping: dict, prefix: str = "") -> list[str]:
    out = []
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and key not in ("severity",):
            out += _keys(value, name + ".")
        else:
            out.append(name)
    return out


def test_rules_table_is_up_to_date() -> None:
    text = checks_docs.DOC.read_text(encoding="utf-8")
    assert checks_docs.current_section(text) == checks_docs.rules_markdown(), \
        "run: python -m desktop.core.checks.docs"
    for rule in RULES.values():
        assert f"| {rule.id} | {rule.severity} | {rule.title} |" in text


def test_every_setting_is_documented_and_every_rule_setting_exists() -> None:
    text = checks_docs.DOC.read_text(encoding="utf-8")
    keys = _keys(check_settings.defaults())
    for key in keys:
        assert f"`{key}`" in text, key
    for rule in RULES.values():
        for key in rule.settings:
            assert key in keys, (rule.id, key)
