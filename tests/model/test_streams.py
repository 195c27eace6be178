import numpy as np
import pytest

from solidarity_sim.model.streams import STREAM_NAMES, Streams, derive_seed


def test_same_seed_same_numbers_per_stream():
    a, b = Streams(42), Streams(42)
    for name in STREAM_NAMES:
        np.testing.assert_array_equal(a[name].random(5), b[name].random(5))


def test_streams_are_distinct_and_seed_dependent():
    s = Streams(42)
    draws = {name: s[name].random(4).tobytes() for name in STREAM_NAMES}
    assert len(set(draws.values())) == len(STREAM_NAMES)
    assert Streams(43)["recruitment"].random(4).tobytes() != Streams(42)["recruitment"].random(
        4).tobytes()


def test_drawing_from_one_stream_leaves_the_others_untouched():
    a, b = Streams(7), Streams(7)
    a["policy"].random(1000)
    np.testing.assert_array_equal(a["recruitment"].random(3), b["recruitment"].random(3))


def test_unknown_stream_is_rejected_with_the_known_names():
    with pytest.raises(KeyError, match="recruitment"):
        Streams(1)["recruitmnt"]


def test_derive_seed_is_the_one_run_seed_formula():
    assert derive_seed(7, 3) == derive_seed(7, 3)
    assert len({derive_seed(7, k) for k in range(5)}) == 5
    assert derive_seed(8, 0) != derive_seed(7, 0) != derive_seed(7, 0, 0)
    child = np.random.SeedSequence(7, spawn_key=(2, 1)).generate_state(1, np.uint64)[0]
    assert derive_seed(7, 2, 1) == int(child >> np.uint64(1)) < 2 ** 63
