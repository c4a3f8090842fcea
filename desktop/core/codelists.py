"""Code lists (national and local), loaded once from ``resources/codelists.yaml``.

Labels are canonical. ``normalise`` maps aliases (大病 → 患有大病) and rejects
unknown labels with a Chinese message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import yaml

from desktop.core.paths import resource


class CodeListError(ValueError):
    """A value that is not in its code list."""


@dataclass(frozen=True)
class CodeItem:
    label: str
    code: str | None = None
    aliases: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class CodeList:
    name: str
    items: tuple[CodeItem, ...]
    title: str = ""
    valid_from: int | None = None
    valid_to: int | None = None
    local: bool = False

    @property
    def labels(self) -> list[str]:
        return [item.label for item in self.items]

    def _lookup(self) -> dict[str, str]:
        return _lookup_table(self)

    def normalise(self, value: str) -> str:
        """The canonical label for ``value`` (a label, alias or code)."""
        text = str(value).strip()
        found = self._lookup().get(text)
        if found is None:
            raise CodeListError(f"“{text}”不是“{self.title or self.name}”的有效值（可选：{'、'.join(self.labels)}）")
        return found

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and value.strip() in self._lookup()

    def item(self, label: str) -> CodeItem:
        canonical = self.normalise(label)
        return next(i for i in self.items if i.label == canonical)

    def code_of(self, label: str) -> str | None:
        return self.item(label).code


@cache
def _lookup_table(codelist: CodeList) -> dict[str, str]:
    table: dict[str, str] = {}
    for item in codelist.items:
        table[item.label] = item.label
        for alias in item.aliases:
            table.setdefault(alias, item.label)
    for item in codelist.items:
        if item.code is not None:
            table.setdefault(item.code, item.label)
    return table


@cache
def all_lists() -> dict[str, CodeList]:
    with resource("codelists.yaml").open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    result: dict[str, CodeList] = {}
    for name, body in raw["lists"].items():
        items = []
        seen: set[str] = set()
        for entry in body["items"]:
            label = str(entry["label"])
            if label in seen:
                raise ValueError(f"code list {name}: duplicate label {label}")
            seen.add(label)
            extra = {k: v for k, v in entry.items() if k not in ("label", "code", "aliases")}
            items.append(
                CodeItem(
                    label=label,
                    code=None if entry.get("code") is None else str(entry["code"]),
                    aliases=tuple(str(a) for a in entry.get("aliases", ())),
                    extra=extra,
                )
            )
        if not items:
            raise ValueError(f"code list {name} is empty")
        result[name] = CodeList(
            name=name,
            items=tuple(items),
            title=str(body.get("title", name)),
            valid_from=body.get("valid_from"),
            valid_to=body.get("valid_to"),
            local=bool(body.get("local", False)),
        )
    return result


def get(name: str) -> CodeList:
    try:
        return all_lists()[name]
    except KeyError:
        raise KeyError(f"unknown code list: {name}") from None


def labels(name: str) -> list[str]:
    return get(name).labels


def normalise(name: str, value: str) -> str:
    return get(name).normalise(value)


def relation_sex(relation: str) -> str | None:
    """The sex a relation implies (之子 → 男), or None."""
    return get("relation_to_head").item(relation).extra.get("sex")


def measure_subcategories(category: str) -> list[str]:
    return list(get("help_measure_category").item(category).extra.get("sub", []))
