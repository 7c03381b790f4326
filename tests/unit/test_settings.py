"""The console's settings file: defaults, values, and one clear message per bad key."""

import pytest

from qckpt.backend.errors import ValidationFailed
from qckpt.tui.settings import load_settings


def test_a_missing_file_gives_the_defaults(tmp_path):
    settings = load_settings(tmp_path / "none.yaml")
    assert (settings.refresh, settings.read_only, settings.keymap) == (10.0, False, {})


def test_values_are_read(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(
        "refresh: 3\nread_only: true\nkeymap:\n  env.delete: x\nhooks_dir: /opt/q\nmtbi: 36\n"
    )
    settings = load_settings(path)
    assert (settings.refresh, settings.read_only, settings.mtbi) == (3.0, True, 36.0)
    assert settings.keymap == {"env.delete": "x"} and settings.hooks_dir == "/opt/q"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("refresh: 0\n", "refresh"),
        ("refresh: soon\n", "refresh"),
        ("read_only: maybe\n", "read_only"),
        ("keymap: [x]\n", "keymap"),
        ("hooks_dir: relative\n", "hooks_dir"),
        ("mtbi: 0\n", "mtbi"),
        ("mtbi: .inf\n", "mtbi"),
        ("mtbi: daily\n", "mtbi"),
    ],
)
def test_a_bad_value_names_its_key(tmp_path, text, field):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(ValidationFailed) as info:
        load_settings(path)
    assert info.value.errors[0].field == field
