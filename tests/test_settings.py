from __future__ import annotations

import pytest

from retold.errors import RetoldError
from retold.settings import Settings


def test_defaults_and_overrides(tmp_path):
    cfg = tmp_path / "retold.toml"
    cfg.write_text("[retold]\nsupport_threshold = 0.7\nmax_omissions = 5\n")
    st = Settings.load(cfg)
    assert st.support_threshold == 0.7 and st.max_omissions == 5
    assert st.align_top_k == Settings().align_top_k
    assert st.with_overrides(max_omissions=None).max_omissions == 5


@pytest.mark.parametrize(
    "body, needle",
    [
        ("nonsense = 1\n", "unknown key"),
        ("support_threshold = 'x'\n", "support_threshold"),
        ("this is not toml", "TOML"),
    ],
)
def test_bad_config_files(tmp_path, body, needle):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(body)
    with pytest.raises(RetoldError, match=needle):
        Settings.load(cfg)


def test_missing_config_file(tmp_path):
    with pytest.raises(RetoldError, match="not found"):
        Settings.load(tmp_path / "missing.toml")
