"""Hypothesis strategies for the fuzz tests: random TOML trees near a schema, random values."""

from __future__ import annotations

from hypothesis import strategies as st

from solidarity_sim.model.parameters import CRISIS_SCHEMA, SCHEMA

SCALARS = st.one_of(
    st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True),
    st.text(max_size=12), st.sampled_from(["baseline", "pandemic", "none", "core_funding",
                                           "grid", "sobol", "mean", "volunteer_share"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)


def paths(tree: dict, prefix: str = "") -> list[str]:
    """Every dotted path of a schema tree (tables and leaves)."""
    out = []
    for key, node in tree.items():
        out.append(f"{prefix}{key}")
        if isinstance(node, dict):
            out += paths(node, f"{prefix}{key}.")
    return out


SCHEMA_PATHS = paths(SCHEMA) + [f"crises.{i}.{k}" for i in range(2) for k in CRISIS_SCHEMA]
DOTTED = st.one_of(st.sampled_from(SCHEMA_PATHS),
                   st.builds(lambda p, q: f"{p}.{q}", st.sampled_from(SCHEMA_PATHS),
                             st.text(max_size=6)),
                   st.text(max_size=20))


def nest(pairs: list[tuple[str, object]]) -> dict:
    """Turn dotted paths into nested tables (a later path wins over an earlier one)."""
    tree: dict = {}
    for path, value in pairs:
        *parents, leaf = path.split(".")
        node = tree
        for part in parents:
            node = node.setdefault(part, {}) if isinstance(node.get(part, {}), dict) else {}
        node[leaf] = value
    return tree


def trees(keys: st.SearchStrategy[str] = DOTTED) -> st.SearchStrategy[dict]:
    """Random TOML trees whose keys are mostly the schema's, with random values."""
    return st.lists(st.tuples(keys, VALUES), max_size=8).map(nest)
