"""The setup answers (the wizard's and `qckpt setup --config FILE`'s): each bad one named with
its rule; `when` reaches every environment the setup defines."""

from __future__ import annotations

import pytest

from qckpt.backend.errors import ValidationFailed
from qckpt.backend.setup.steps import Answers, environments_step


def answers(**changes) -> Answers:
    # nobody (uid 65534) is an ordinary user, as the test jobs' owner must be
    found = Answers(hooks_dir="/srv/qckpt", ckpt_dir="/srv/ckpt", job_user="nobody")
    for key, value in changes.items():
        setattr(found, key, value)
    return found


@pytest.mark.parametrize(
    "key, value, rule",
    [
        ("when", "xq", "when: letters from s, m, x, r (lower case), or n alone; not 'q'"),
        ("when", "nx", "when: n (never) must stand alone"),
        ("when", 5, "when: letters from s, m, x, r, or n alone"),
        ("templates", ["tea"], "templates: one or more of dmtcp, dmtcp-cpu, signal"),
        ("hooks_dir", "srv/qckpt", "hooks_dir: an absolute path without spaces"),
    ],
)
def test_a_bad_answer_is_named_with_its_rule(key, value, rule):
    with pytest.raises(ValidationFailed) as caught:
        answers(**{key: value}).check()
    assert str(caught.value) == rule


def test_when_is_the_environments_when():
    assert answers().when == "xsr"
    step = environments_step(None, answers(when="xsmr", templates=["signal", "dmtcp"]))
    whens = [line.split() for line in step.shows if line.strip().startswith("when")]
    assert whens == [["when", "xsmr"], ["when", "xsmr"]]
