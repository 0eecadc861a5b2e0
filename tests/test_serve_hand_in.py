"""Where hand-ins land (bptui.serve.hand_in), which sessions are kept for a
resume (bptui.serve.kept), and the roster (bptui.serve.roster): no server,
no sleeps."""

import os

import pytest

from bptui.serve.hand_in import NAME_CHARS, check_folder, folder_name, write_hand_in
from bptui.serve.kept import KeptSessions
from bptui.serve.roster import parse_roster, read_roster


@pytest.mark.parametrize("name", ["../../etc", "..", ".", "", "a/b", "a\x00b", "\x1b[2J", "é", "x" * 300, ".hidden"])
def test_no_name_leaves_the_folder(tmp_path, name):
    root = tmp_path / "in"
    root.mkdir()
    where = write_hand_in(root, name, "{}")
    folder, file = where.split("/")
    assert folder == folder_name(name) and folder not in ("", ".", "..") and not folder.startswith(".")
    assert len(folder) <= NAME_CHARS + 9 and all(c.isalnum() or c in "._-" for c in folder)
    assert (root / folder / file).read_text() == "{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_a_plain_name_keeps_its_folder_and_names_never_share_one():
    assert folder_name("ada") == "ada" and folder_name("a.b-c_1") == "a.b-c_1"
    assert folder_name("a/b") != folder_name("a_b") == "a_b"
    assert folder_name("a/b") != folder_name("a?b")
    # logging in as a made-safe name does not reach that name's folder
    made = folder_name("a b")
    assert made.startswith("a_b-") and folder_name(made) != made


def test_a_hand_in_never_overwrites_and_follows_no_link(tmp_path):
    root = tmp_path / "in"
    root.mkdir()
    first = write_hand_in(root, "ada", "1", when=0)
    second = write_hand_in(root, "ada", "2", when=0)
    assert first != second and (root / first).read_text() == "1" and (root / second).read_text() == "2"
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, root / "eve")
    with pytest.raises(OSError):
        write_hand_in(root, "eve", "x")
    assert list(outside.iterdir()) == []


def test_the_folder_is_checked_at_start(tmp_path):
    assert check_folder(tmp_path / "new" / "dir").is_dir()
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="--hand-in"):
        check_folder(tmp_path / "file")


def test_kept_sessions_resume_within_the_time_then_go(tmp_path):
    kept = KeptSessions(tmp_path / "kept", minutes=15, capacity=2)
    a = kept.new_path()
    a.write_text("a")
    assert kept.keep("ada", a, now=0) == []
    assert kept.take("bob", now=1) is None
    assert kept.take("ada", now=15 * 60 + 1) is None  # too late: stays for expired()
    assert [k.name for k in kept.expired(now=15 * 60 + 1)] == ["ada"]
    b = kept.new_path()
    b.write_text("b")
    kept.keep("bob", b, now=10)
    assert kept.take("bob", now=20).path == b and len(kept) == 0


def test_keeping_again_replaces_and_the_oldest_goes_past_capacity(tmp_path):
    kept = KeptSessions(tmp_path / "kept", minutes=15, capacity=2)
    paths = []
    for n, name in enumerate(["ada", "ada", "bob", "cy"]):
        p = kept.new_path()
        p.write_text(name)
        paths.append(p)
        gone = kept.keep(name, p, now=n)
    assert not paths[0].exists()  # ada's first, replaced by her second
    assert [k.name for k in gone] == ["ada"]  # the oldest, to make room for cy
    assert kept.names() == {"bob", "cy"}


def test_a_roster_lists_names_once(tmp_path):
    assert parse_roster("# class 3\nada\n\nbob  # late\n", "r") == {"ada", "bob"}
    for text, message in [("ada\nada\n", "listed already"), ("two words\n", "one word"), ("# none\n", "no names")]:
        with pytest.raises(ValueError, match=message):
            parse_roster(text, "r")
    with pytest.raises(ValueError, match="--roster"):
        read_roster(str(tmp_path / "missing"))
