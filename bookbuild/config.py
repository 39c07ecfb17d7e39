"""A book's configuration files merged into one YAML tree that remembers where each value came from.

Quarto reads ``_quarto.yml``, merges the files its ``metadata-files:`` lists over
it in order, then the active profiles' ``_quarto-<name>.yml`` (the first-listed
profile wins, so they are merged last to first), then ``_quarto.yml.local``.
Merging follows Quarto (lodash ``mergeWith`` with quarto-cli's array
customizer): mappings merge key by key, a later scalar replaces an earlier one,
and lists are joined with duplicates dropped (first occurrence kept); a scalar
joined with a list counts as a one-item list.

The files are composed into YAML nodes whose marks carry the file's display
name, and the merge keeps the nodes, so a diagnostic about any key or chapter
entry names the file and line it came from. Where Quarto silently ignores a
missing profile or metadata file, this is an error: a typo would otherwise build
the wrong book.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

from .diagnostics import ConfigError, error
from .files import UnreadableSource, read_source
from .qmd import guard_aliases, yaml_error_line, yaml_error_message

CONFIG_NAME = "_quarto.yml"
PROFILE_VARIABLE = "QUARTO_PROFILE"
PROFILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
MAP_TAG = "tag:yaml.org,2002:map"
SEQ_TAG = "tag:yaml.org,2002:seq"
NULL_TAG = "tag:yaml.org,2002:null"


@dataclass(frozen=True)
class MergedConfig:
    """The merged tree, its plain-data form, the active profiles and which files made it."""

    node: yaml.MappingNode
    data: dict[str, Any]
    profiles: tuple[str, ...]
    files: tuple[Path, ...]
    profile_files: tuple[str, ...]  # display names of the profile fragments (and their metadata files)


def where(node: yaml.Node) -> tuple[str, int, int]:
    """(file, line, column) of a node, 1-based."""
    return node.start_mark.name, node.start_mark.line + 1, node.start_mark.column + 1


def child(node: yaml.Node | None, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    """The (key node, value node) of ``key`` in a mapping node, or None."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return key_node, value_node
    return None


def located(node: yaml.Node | None, path: tuple[str, ...]) -> tuple[yaml.Node, yaml.Node] | None:
    """The (key node, value node) at a key path, or None when a key on the way is absent (or not a mapping)."""
    found = None
    for key in path:
        found = child(node, key)
        if found is None:
            return None
        node = found[1]
    return found


def compose_file(path: Path, shown: str, named_at: tuple[str, int, int] | None = None,
                 what: str = "configuration file") -> yaml.MappingNode:
    """One configuration file as a mapping node whose marks name ``shown``.

    Raises ConfigError, at ``named_at`` (the line that named the file) when it is
    missing, else at the file's own line: unreadable, not UTF-8, not YAML, not a mapping.
    """
    at_file, at_line, at_col = named_at or (shown, 1, 1)
    if not path.is_file():
        raise ConfigError(error("config-missing", at_file, at_line, f"{what} '{shown}' does not exist", col=at_col,
                                hint="create it, or fix the name"))
    try:
        text = read_source(path, shown)
    except UnreadableSource as exc:
        raise ConfigError(exc.diagnostic) from exc
    loader = yaml.SafeLoader(text)
    loader.name = shown  # marks (and so every node's line) name the file
    try:
        guard_aliases(text, yaml.SafeLoader)  # merging walks values: an alias bomb would expand
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        line, col = yaml_error_line(exc, 1)
        raise ConfigError(error("yaml", shown, line, f"malformed {path.name}: {yaml_error_message(exc)}", col=col)) from exc
    finally:
        loader.dispose()
    if node is None:  # an empty file is an empty mapping
        mark = yaml.Mark(shown, 0, 0, 0, None, None)
        return yaml.MappingNode(MAP_TAG, [], mark, mark)
    if not isinstance(node, yaml.MappingNode):
        file, line, col = where(node)
        raise ConfigError(error("config-type", file, line, f"{path.name} must be a YAML mapping (key: value lines), "
                                f"not {describe(node)}", col=col))
    return node


def describe(node: yaml.Node) -> str:
    """``a list``, ``a mapping``, ``the number 5``, ``the text 'x'``: what a value is, for messages."""
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if node.tag == NULL_TAG:
        return "empty"
    kind = {"tag:yaml.org,2002:int": "the number", "tag:yaml.org,2002:float": "the number",
            "tag:yaml.org,2002:bool": "the boolean"}.get(node.tag, "the text")
    return f"{kind} {node.value}" if kind != "the text" else f"the text '{node.value}'"


def merge(base: yaml.Node, over: yaml.Node) -> yaml.Node:
    """``over`` merged over ``base`` by Quarto's rules (see the module docstring); inputs are not changed."""
    if isinstance(base, yaml.MappingNode) and isinstance(over, yaml.MappingNode):
        pairs = list(_flatten(base))
        index = {k.value: i for i, (k, _) in enumerate(pairs) if isinstance(k, yaml.ScalarNode)}
        for key, value in _flatten(over):
            i = index.get(key.value) if isinstance(key, yaml.ScalarNode) else None
            if i is None:
                index[getattr(key, "value", None)] = len(pairs)
                pairs.append((key, value))
            else:
                pairs[i] = (key, merge(pairs[i][1], value))
        return yaml.MappingNode(MAP_TAG, pairs, base.start_mark, base.end_mark)
    if isinstance(base, yaml.SequenceNode) or isinstance(over, yaml.SequenceNode):
        if _falsy(base):
            return over
        if _falsy(over):
            return base
        items, seen = [], set()
        for item in _items(base) + _items(over):
            identity = json.dumps(construct(item), sort_keys=False, default=str)
            if identity not in seen:
                seen.add(identity)
                items.append(item)
        return yaml.SequenceNode(SEQ_TAG, items, base.start_mark, base.end_mark)
    return over


def _flatten(node: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node]]:
    """The mapping's pairs with YAML merge keys (``<<: *anchor``) resolved."""
    copy = yaml.MappingNode(node.tag, list(node.value), node.start_mark, node.end_mark)
    yaml.SafeLoader("").flatten_mapping(copy)
    return copy.value


def _items(node: yaml.Node) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else [node]


def _falsy(node: yaml.Node) -> bool:
    """JavaScript's ``!value`` for a YAML value, as Quarto's array merge tests it."""
    if isinstance(node, yaml.ScalarNode):
        return node.tag == NULL_TAG or construct(node) in (False, 0, "")
    return False


def construct(node: yaml.Node) -> Any:
    """The plain Python value of a (merged) node."""
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_config(root: Path, shown: Callable[[Path], str], profile_arg: str | None = None,
                environ: dict[str, str] | None = None,
                validate: Callable[[yaml.MappingNode], None] = lambda node: None) -> MergedConfig:
    """``root/_quarto.yml`` with its metadata files and the active profiles merged in.

    ``profile_arg`` is ``--profile`` (comma- or space-separated names); without it
    ``QUARTO_PROFILE``, then ``profile: default:`` choose. ``validate`` sees each
    file before it is merged (it raises ConfigError for a bad value). Raises ConfigError.
    """
    def read(path: Path, named_at: tuple[str, int, int] | None = None, what: str = "configuration file") -> yaml.MappingNode:
        node = compose_file(path, shown(path), named_at, what)
        validate(node)
        return node

    environ = os.environ if environ is None else environ
    config_file = root / CONFIG_NAME
    if not config_file.is_file():
        raise ConfigError(error("config", shown(config_file), 1, f"no {CONFIG_NAME} in {shown(root)}",
                                hint="pass --project DIR pointing at a folder with a Quarto book config"))
    files = [config_file]
    node = _with_metadata_files(root, read(config_file), read, files)

    base_file = shown(config_file)
    if profile_arg is not None and profile_arg.strip():
        names, origin = _split(profile_arg), ("--profile", (base_file, 1, 1))
    elif environ.get(PROFILE_VARIABLE, "").strip():
        names, origin = _split(environ[PROFILE_VARIABLE]), (PROFILE_VARIABLE, (base_file, 1, 1))
    else:
        names, origin = _default_profiles(node)
    names = list(dict.fromkeys(names))
    origins = {name: origin for name in names}
    for name, group_origin in _group_defaults(node, names):
        if name not in origins:
            names.append(name)
            origins[name] = group_origin

    profile_files: list[str] = []
    for name in reversed(names):  # the first-listed profile is merged last, so it wins
        source, at = origins[name]
        if not PROFILE_NAME.match(name):
            raise ConfigError(error("profile-name", at[0], at[1], f"'{name}' (from {source}) is not a profile name",
                                    col=at[2], hint="profile names are letters, digits, '_', '-' and '.'"))
        path = next((p for p in (root / f"_quarto-{name}.yml", root / f"_quarto-{name}.yaml") if p.is_file()),
                    root / f"_quarto-{name}.yml")
        if not path.is_file():
            # A profile may set only execution variables; with neither file it is a typo.
            if (root / f"_environment-{name}").is_file():
                continue
            raise ConfigError(error("profile-missing", at[0], at[1],
                                    f"profile '{name}' (from {source}) has no configuration file _quarto-{name}.yml",
                                    col=at[2], hint=f"create {shown(path)}, or fix the profile's name"))
        before = len(files)
        files.append(path)
        fragment = _with_metadata_files(root, read(path, at, "profile file"), read, files)
        profile_files.extend(shown(f) for f in files[before:])
        node = merge(node, fragment)
    for local in (root / "_quarto.yml.local", root / "_quarto.yaml.local"):
        if local.is_file():
            files.append(local)
            node = merge(node, read(local))
            break
    data = construct(node)
    return MergedConfig(node, data if isinstance(data, dict) else {}, tuple(names), tuple(files), tuple(profile_files))


def _split(text: str) -> list[str]:
    """Quarto splits a profile list on commas and spaces."""
    return [name for name in re.split(r"[ ,]+", text.strip()) if name]


def _default_profiles(node: yaml.MappingNode) -> tuple[list[str], tuple[str, tuple[str, int, int]]]:
    """``profile: default:`` (a name or a list of names), and where it stands."""
    profile = _profile_section(node)
    found = child(profile, "default") if profile is not None else None
    if found is None:
        return [], ("profile: default:", ("", 1, 1))
    key, value = found
    at = where(key)
    if isinstance(value, yaml.ScalarNode) and value.tag != NULL_TAG:
        return _split(str(value.value)), ("profile: default:", at)
    if isinstance(value, yaml.SequenceNode) and all(isinstance(v, yaml.ScalarNode) for v in value.value):
        return [str(v.value) for v in value.value], ("profile: default:", at)
    if isinstance(value, yaml.ScalarNode):
        return [], ("profile: default:", at)
    raise ConfigError(error("config-type", at[0], at[1], f"'profile: default:' must be a profile name or a list of names, "
                            f"not {describe(value)}", col=at[2]))


def _group_defaults(node: yaml.MappingNode, active: list[str]) -> list[tuple[str, tuple[str, tuple[str, int, int]]]]:
    """For each ``profile: group:`` none of whose members is active, its first member (as Quarto does)."""
    profile = _profile_section(node)
    found = child(profile, "group") if profile is not None else None
    if found is None:
        return []
    key, value = found
    groups = construct(value)
    if isinstance(groups, list) and groups and all(isinstance(g, str) for g in groups):
        groups = [groups]
    if not (isinstance(groups, list) and all(isinstance(g, list) and g and all(isinstance(n, str) for n in g)
                                             for g in groups)):
        file, line, col = where(key)
        raise ConfigError(error("config-type", file, line, "'profile: group:' must be a list of profile names, "
                                "or a list of such lists", col=col))
    origin = ("profile: group:", where(key))
    return [(group[0], origin) for group in groups if not any(name in active for name in group)]


def _profile_section(node: yaml.MappingNode) -> yaml.Node | None:
    found = child(node, "profile")
    if found is None:
        return None
    key, value = found
    if isinstance(value, yaml.MappingNode):
        return value
    if isinstance(value, yaml.ScalarNode) and value.tag == NULL_TAG:
        return None
    file, line, col = where(key)
    raise ConfigError(error("config-type", file, line, f"'profile:' must be a mapping (default:, group:), not {describe(value)}",
                            col=col))


def _with_metadata_files(root: Path, node: yaml.MappingNode, read: Callable[..., yaml.MappingNode],
                         files: list[Path]) -> yaml.MappingNode:
    """A file merged with the files its ``metadata-files:`` lists, in order (paths relative to the project)."""
    found = child(node, "metadata-files")
    if found is None:
        return node
    key, value = found
    if isinstance(value, yaml.ScalarNode) and value.tag == NULL_TAG:
        return node
    entries = value.value if isinstance(value, yaml.SequenceNode) else None
    if entries is None or not all(isinstance(e, yaml.ScalarNode) and e.tag != NULL_TAG for e in entries):
        file, line, col = where(key)
        raise ConfigError(error("config-type", file, line, "'metadata-files:' must be a list of file names",
                                col=col, hint="e.g. metadata-files: [config/common.yml]"))
    merged: yaml.Node = node
    for entry in entries:
        path = root / str(entry.value)
        files.append(path)
        merged = merge(merged, read(path, where(entry), "metadata file"))
    return merged  # type: ignore[return-value]
