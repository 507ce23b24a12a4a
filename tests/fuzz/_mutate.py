"""Structure-aware mutation of parsed records (YAML/JSON trees, CSV rows, text lines)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

#: values that real users and broken tools put where a field belongs
NASTY_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(
        [
            "",
            " ",
            "200 mg",
            "3 weeks",
            "day 5",
            "nsclc",
            "pembrolizumab",
            "-1",
            "1e999",
            "NaN",
            "null",
            "~",
            "0",
            "yes",
            "2 mg/kg",
            "AUC 5",
            "\x00",
            "é",
            "1,5",
            "[]",
            "{}",
        ]
    ),
)
NASTY_VALUES = st.one_of(
    NASTY_SCALARS,
    st.lists(NASTY_SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=6), NASTY_SCALARS, max_size=3),
)
OPS = ("delete", "replace", "rename", "duplicate", "empty", "wrap", "none")


def paths(tree: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a node of a JSON-like tree (dict keys and list indices)."""
    out = [prefix]
    if isinstance(tree, dict):
        for key, value in tree.items():
            out += paths(value, prefix + (key,))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            out += paths(value, prefix + (i,))
    return out


def _parent(tree: Any, path: tuple) -> Any:
    for part in path[:-1]:
        tree = tree[part]
    return tree


@st.composite
def mutated_tree(draw: st.DrawFn, tree: Any, n_mutations: int = 3) -> Any:
    """``tree`` with 1..n_mutations random structural mutations."""
    tree = copy.deepcopy(tree)
    for _ in range(draw(st.integers(1, n_mutations))):
        all_paths = paths(tree)
        path = draw(st.sampled_from(all_paths))
        op = draw(st.sampled_from(OPS))
        if not path:  # the root itself
            if op in ("replace", "none"):
                tree = draw(NASTY_VALUES) if op == "replace" else None
                break
            continue
        parent, key = _parent(tree, path), path[-1]
        if op == "delete":
            del parent[key]
        elif op == "replace":
            parent[key] = draw(NASTY_VALUES)
        elif op == "none":
            parent[key] = None
        elif op == "rename" and isinstance(parent, dict):
            new = draw(
                st.one_of(st.text(max_size=12), st.just(str(key) + "s"), st.just(str(key).upper()))
            )
            parent[new] = parent.pop(key)
        elif op == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
        elif op == "empty":
            parent[key] = type(parent[key])() if isinstance(parent[key], (list, dict)) else ""
        elif op == "wrap":
            parent[key] = [parent[key]]
    return tree


@st.composite
def mutated_text(draw: st.DrawFn, text: str, n_mutations: int = 3) -> str:
    """``text`` with random character-level edits: insert, delete, replace, truncate."""
    for _ in range(draw(st.integers(1, n_mutations))):
        pos = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(("insert", "delete", "replace", "truncate")))
        piece = draw(
            st.one_of(
                st.text(max_size=4),
                st.sampled_from(
                    [
                        ":",
                        "-",
                        "\t",
                        "\n",
                        "  ",
                        "'",
                        '"',
                        "{",
                        "[",
                        "#",
                        "&a",
                        "*a",
                        "!!python/object",
                        "\x00",
                        "\ufeff",
                        "|",
                        ",",
                    ]
                ),
            )
        )
        if op == "insert":
            text = text[:pos] + piece + text[pos:]
        elif op == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 20)) :]
        elif op == "replace":
            text = text[:pos] + piece + text[pos + len(piece) :]
        else:
            text = text[:pos]
    return text
