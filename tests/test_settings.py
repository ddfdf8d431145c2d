from __future__ import annotations

from dataclasses import fields

import pytest

from retold.errors import RetoldError
from retold.settings import SECTIONS, Settings, section_key


def test_defaults_and_overrides(tmp_path):
    cfg = tmp_path / "retold.toml"
    cfg.write_text("[judges]\nsupport_threshold = 0.7\n[analysis]\nmax_omissions = 5\n")
    st = Settings.load(cfg)
    assert st.support_threshold == 0.7 and st.max_omissions == 5
    assert st.align_top_k == Settings().align_top_k
    assert st.with_overrides(max_omissions=None).max_omissions == 5


@pytest.mark.parametrize(
    "body, needle",
    [
        ("nonsense = 1\n", "unknown key"),
        ("[judges]\nsupport_threshold = 'x'\n", "support_threshold"),
        ("[judges]\nsame_story = 0.5\n", r"unknown key 'same_story' in \[judges\]"),
        ("[nosuch]\nx = 1\n", r"unknown section \[nosuch\]"),
        ("judges = 3\n", r"\[judges\] must be a table"),
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


def test_sections_strip_their_prefix_and_cover_every_field(tmp_path):
    cfg = tmp_path / "s.toml"
    cfg.write_text(
        "[families]\nsame_story = 0.7\n[fetch]\nmax_redirects = 2\n"
        "[web]\nallowed_hosts = 'example.org'\n[store]\ndb_path = 'x.db'\n"
    )
    st = Settings.load(cfg)
    assert st.families_same_story == 0.7 and st.fetch_max_redirects == 2
    assert st.web_allowed_hosts == "example.org" and st.db_path == "x.db"
    sections = Settings().sections()
    assert set(sections) == set(SECTIONS)
    assert sum(len(v) for v in sections.values()) == len(fields(Settings))
    assert sections["families"]["same_story"] == Settings().families_same_story
    assert section_key("support_threshold") == ("judges", "support_threshold")
    assert section_key("nli_model") == ("judges", "nli_model")
    assert section_key("embedding_model") == ("analysis", "embedding_model")


def test_flat_keys_still_work_for_one_release_with_a_warning(tmp_path):
    cfg = tmp_path / "old.toml"
    cfg.write_text("[retold]\nsupport_threshold = 0.7\nfamilies_same_story = 0.6\n")
    with pytest.warns(FutureWarning, match=r"families_same_story -> \[families\] same_story"):
        st = Settings.load(cfg)
    assert st.support_threshold == 0.7 and st.families_same_story == 0.6
    top = tmp_path / "top.toml"
    top.write_text("max_omissions = 4\n")
    with pytest.warns(FutureWarning, match=r"max_omissions -> \[analysis\] max_omissions"):
        assert Settings.load(top).max_omissions == 4


def test_settings_print_as_a_config_file_that_loads_back(tmp_path):
    changed = Settings().with_overrides(families_same_story=0.75, web_allowed_hosts="a b")
    cfg = tmp_path / "round.toml"
    cfg.write_text(changed.to_toml())
    assert Settings.load(cfg) == changed
