"""Fuzzing the experiment loader: random TOML files raise nothing but an ExperimentError
(hypothesis)."""

from __future__ import annotations

import warnings

import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solidarity_sim.batch.experiment import TOP_KEYS, ExperimentError, load_experiment
from solidarity_sim.model.checks import Notice
from tests.fuzz import DOTTED, SCALARS, VALUES, trees

TOP = st.sampled_from([k for k in TOP_KEYS if k not in ("parameters", "fixed")])
EXPERIMENT = st.fixed_dictionaries(
    {"scenario": st.sampled_from(["baseline", "pandemic", "nowhere"]),
     "seed": st.integers(-3, 2**40)},
    optional={"fixed": trees(), "parameters": trees(),
              "design": st.dictionaries(st.sampled_from(["method", "samples", "levels",
                                                        "common_seeds", "x"]), SCALARS),
              "outcomes": st.dictionaries(st.text(max_size=6), VALUES, max_size=3),
              "weeks": SCALARS, "replications": SCALARS, "series": VALUES})


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(EXPERIMENT, st.dictionaries(st.one_of(TOP, DOTTED), VALUES, max_size=2), st.booleans())
def test_any_experiment_file_loads_or_raises_an_experiment_error(tmp_path, tree, extra, bom):
    path = tmp_path / "fuzz.toml"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"")
                     + tomli_w.dumps({**extra, **tree}).encode())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Notice)
        try:
            experiment = load_experiment(path)
        except ExperimentError as err:
            assert str(path) in str(err) or "scenario" in str(err)
        else:
            assert len(experiment.runs()) >= 1
