"""Read-only, nested namespaces of twins (``Hardware.Edge.Coral``)."""

from __future__ import annotations

from typing import Any, Iterator


class Catalog:
    """An immutable group of twins and sub-catalogs, accessed as attributes.

    ``iter(catalog)`` yields the direct members; :meth:`walk` yields every
    twin (recursing into sub-catalogs) once, with its dotted path.
    """

    __slots__ = ("_name", "_members")

    def __init__(self, name: str, **members: Any) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_members", dict(members))

    def __getattr__(self, item: str) -> Any:
        members = object.__getattribute__(self, "_members")
        try:
            return members[item]
        except KeyError:
            raise AttributeError(f"{self._name} has no member {item!r}; known: {', '.join(members)}") from None

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"{self._name} is read-only")

    def __delattr__(self, key: str) -> None:
        raise AttributeError(f"{self._name} is read-only")

    def __dir__(self) -> list[str]:
        return sorted(self._members)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._members.values())

    def __contains__(self, item: str) -> bool:
        return item in self._members

    def __repr__(self) -> str:
        return f"<{self._name}: {', '.join(self._members)}>"

    def walk(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        """Yield ``(dotted_path, twin)`` for every twin, each object once."""
        seen: set[int] = set()
        yield from self._walk(prefix or self._name, seen)

    def _walk(self, prefix: str, seen: set[int]) -> Iterator[tuple[str, Any]]:
        for key, value in self._members.items():
            path = f"{prefix}.{key}"
            if isinstance(value, Catalog):
                yield from value._walk(path, seen)
            elif id(value) not in seen:
                seen.add(id(value))
                yield path, value
