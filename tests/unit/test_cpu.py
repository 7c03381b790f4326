"""CPU features as complexes: x86-64 levels, what a host lacks, merged hard requests."""

from qckpt.hooks.cpu import LEVELS, lacking, level, merge_requests, requests

V1 = set(LEVELS[0])
V2 = V1 | set(LEVELS[1])
V3 = V2 | set(LEVELS[2])
V4 = V3 | set(LEVELS[3])


def test_levels_follow_the_psabi_feature_sets():
    assert [level(s) for s in (set(), V1, V2, V3, V4)] == [0, 1, 2, 3, 4]
    assert level(V4 - {"fma"}) == 2  # a hole in v3 stops the climb, whatever v4 has


def test_a_host_lacking_a_feature_or_a_level_is_unfit():
    taken = {"level": 3, "flags": ["avx2", "sse4_2"]}
    assert lacking(taken, V3) == []
    assert lacking(taken, V2) == ["avx2", "x86-64-v3 (this host is v2)"]


def test_requests_pin_to_this_hosts_features():
    wanted = requests(V3)
    assert wanted["x86_64_level"] == "3"
    assert wanted["cpuflag_avx2"] == "TRUE" and "cpuflag_avx512f" not in wanted


def test_merging_keeps_other_requests_and_the_highest_level():
    known = {"x86_64_level", "cpuflag_avx2", "h_rt"}
    merged = merge_requests({"h_rt": "3600", "x86_64_level": "4"}, requests(V3), known)
    assert merged == {"h_rt": "3600", "x86_64_level": "4", "cpuflag_avx2": "TRUE"}


def test_complexes_the_cell_does_not_define_are_left_out():
    assert merge_requests({}, requests(V3), {"x86_64_level"}) == {"x86_64_level": "3"}
