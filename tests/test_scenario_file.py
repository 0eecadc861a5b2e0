import pytest

from bptui.scenario import Scenario
from bptui.scenario_file import ScenarioFileError, dumps, load, save


def write(tmp_path, text: str):
    p = tmp_path / "s.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_round_trip_is_exact(tmp_path):
    s = Scenario(layers=3, activation="tanh", loss="half-se", x=-0.3, y=0.1, lr=0.1 + 0.2,
                 weights=(0.1, -2.5e-7, 1 / 3), biases=(0.0, -1.0, 1e-300), seed=99)  # fmt: skip
    p = tmp_path / "a.toml"
    save(p, s)
    assert load(p) == s
    mazur = Scenario(preset="mazur", lr=0.125, weights=(0.1, -0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8))
    assert load(write(tmp_path, dumps(mazur))) == mazur


def test_a_mazur_file_holds_only_what_the_preset_lets_change(tmp_path):
    import tomllib

    text = dumps(Scenario(preset="mazur", lr=0.25))
    assert tomllib.loads(text) == {"preset": "mazur", "lr": 0.25}


def test_saved_files_get_the_usual_mode_and_an_overwrite_keeps_its_own(tmp_path):
    import os
    import stat

    old = os.umask(0o027)
    try:
        save(tmp_path / "a.toml", Scenario())
        assert stat.S_IMODE((tmp_path / "a.toml").stat().st_mode) == 0o640  # 0666 & ~umask
        os.chmod(tmp_path / "a.toml", 0o604)
        save(tmp_path / "a.toml", Scenario(lr=0.25), overwrite=True)
        assert stat.S_IMODE((tmp_path / "a.toml").stat().st_mode) == 0o604
    finally:
        os.umask(old)


def test_a_file_that_appears_while_writing_is_not_clobbered(tmp_path, monkeypatch):
    import bptui.scenario_file as sf

    target = tmp_path / "a.toml"
    real_mkstemp = sf.tempfile.mkstemp

    def mkstemp_then_someone_writes(*args, **kw):
        made = real_mkstemp(*args, **kw)
        target.write_text("theirs")  # between the check and the rename
        return made

    monkeypatch.setattr(sf.tempfile, "mkstemp", mkstemp_then_someone_writes)
    with pytest.raises(FileExistsError):
        save(target, Scenario())
    assert target.read_text() == "theirs"
    assert [f.name for f in tmp_path.iterdir()] == ["a.toml"]


def test_partial_file_keeps_the_defaults(tmp_path):
    s = load(write(tmp_path, "lr = 2\nlayers = 3\n"))
    assert s == Scenario(lr=2.0, layers=3)


def test_save_never_overwrites_without_asking(tmp_path):
    p = tmp_path / "a.toml"
    p.write_text("keep me")
    with pytest.raises(FileExistsError):
        save(p, Scenario())
    assert p.read_text() == "keep me"
    save(p, Scenario(lr=0.25), overwrite=True)
    assert load(p).lr == 0.25
    assert [f.name for f in tmp_path.iterdir()] == ["a.toml"]  # no temporary file left


@pytest.mark.parametrize(
    "text, key, reason",
    [
        ("layrs = 3", "layrs", "unknown key"),
        ('lr = "fast"', "lr", "expected a number, got a string"),
        ("lr = true", "lr", "expected a number, got true/false"),
        ("layers = 2.5", "layers", "expected a whole number, got a number"),
        ("weights = [0.1, 'a']", "weights", "item 2 is a string, not a number"),
        ("weights = [0.1, nan]", "weights", "item 2 must be finite"),
        ("x = inf", "x", "must be finite"),
        ("layers = 12", None, "layers must be between 1 and 8, not 12"),
        ("lr = 0", None, "lr must be positive"),
        ("loss = 'bce'\nactivation = 'relu'", None, "bce needs an output in (0, 1)"),
        ("loss = 'bce'\ny = 4", None, "bce needs a target y in [0, 1]"),
        ("weights = [1.0]", None, "weights: expected 2 values (one per layer), got 1"),
        ("preset = 'mazur'\nlayers = 3", None, "drop layers"),
        ("preset = 'mazur'\nloss = 'se'", None, "drop loss"),  # refused even at the default
        ("activation = 'softmax'", None, "activation must be one of sigmoid, tanh, relu, linear"),
        ("lr = ", None, "not valid TOML"),
    ],
)
def test_errors_name_the_file_the_key_and_the_reason(tmp_path, text, key, reason):
    p = write(tmp_path, text)
    with pytest.raises(ScenarioFileError) as err:
        load(p)
    msg = str(err.value)
    assert msg.startswith(str(p)) and reason in msg
    if key:
        assert f"key {key!r}" in msg


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioFileError, match="no such file"):
        load(tmp_path / "nope.toml")


# --- hostile files: each refused in one line that names the file, cheaply ---------------


def refusal(path) -> str:
    with pytest.raises(ScenarioFileError) as err:
        load(path)
    msg = str(err.value)
    assert msg.startswith(str(path)) and "\n" not in msg
    return msg


@pytest.mark.parametrize(
    "text",
    [
        "weights = " + "[" * 300 + "]" * 300,
        "weights = " + "{a = " * 300 + "1" + "}" * 300,
        "weights = " + "[" * 30_000,  # tomllib would exhaust the stack first
    ],
    ids=["300 arrays", "300 inline tables", "30,000 brackets"],
)
def test_deep_nesting_is_refused_before_tomllib_reads_it(tmp_path, text, monkeypatch):
    import bptui.scenario_file as sf

    monkeypatch.setattr(sf.tomllib, "loads", lambda *a: pytest.fail("tomllib was given a deep file"))
    assert "nested more than 16 levels deep" in refusal(write(tmp_path, text + "\n"))


def test_a_dotted_key_of_many_parts_is_refused_before_tomllib_reads_it(tmp_path):
    # tomllib takes time and memory in the square of a dotted key's parts
    # (10,000 parts: seconds and hundreds of MB)
    assert "a dotted key of more than 16 parts" in refusal(write(tmp_path, ".".join(["a"] * 10_000) + " = 1\n"))


def test_brackets_and_dots_in_strings_and_comments_do_not_count(tmp_path):
    from bptui.scenario_file import check_toml_nesting

    deep = "[" * 40 + "." * 40
    s = load(write(tmp_path, f'# {deep}\nweights = [0.5, -0.25] # {deep}\nactivation = """tanh"""\n'))
    assert s.weights == (0.5, -0.25) and s.activation == "tanh"
    for text in (
        f'k = "{deep}\\"{deep}"',
        f"k = '{deep}'",
        f'k = """\n{deep}\n"""',
        f'k = """a""""\nj = "{deep}"',  # a multi-line string may end in extra quotes
        f"k = '''\n{deep}'''''",
        'a."b.c".d = 1.5e-3',
    ):
        check_toml_nesting(text, "f")  # no error
        import tomllib

        tomllib.loads(text)  # and valid TOML, so the scan is checked against real files


@pytest.mark.parametrize("target, kind", [("/dev/zero", "a character device"), ("/dev/urandom", "a character device")])
def test_a_symlink_to_a_device_is_refused_unread(tmp_path, target, kind):
    link = tmp_path / "s.toml"
    link.symlink_to(target)
    assert refusal(link) == f"{link}: is {kind} ({target}), not a regular file"


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    import os

    fifo = tmp_path / "s.toml"
    os.mkfifo(fifo)
    assert refusal(fifo) == f"{fifo}: is a named pipe (FIFO), not a regular file"


def test_a_directory_is_refused(tmp_path):
    assert refusal(tmp_path) == f"{tmp_path}: is a directory, not a regular file"


def test_a_file_swapped_for_a_fifo_after_the_check_is_still_refused(tmp_path, monkeypatch):
    """The descriptor is checked too: what is read is what was checked, and
    opening never blocks."""
    import os

    import bptui.safe_read as sr

    regular = write(tmp_path, "lr = 1\n")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    real_open = os.open
    monkeypatch.setattr(sr.os, "open", lambda path, flags: real_open(fifo, flags))
    assert "is a named pipe (FIFO), not a regular file" in refusal(regular)


def test_a_50_mb_array_is_refused_by_its_size_unread(tmp_path, monkeypatch):
    import bptui.safe_read as sr

    p = write(tmp_path, "weights = [" + "0.5, " * 10_000_000 + "]\n")
    monkeypatch.setattr(sr.os, "read", lambda *a: pytest.fail("a file too large was read"))
    assert refusal(p) == f"{p}: too large: 50,000,013 bytes (a scenario file is at most 65,536 bytes)"


def test_a_file_larger_than_its_size_says_is_read_no_further_than_the_limit(tmp_path, monkeypatch):
    """As a file that grows while it is read, or one that reports no size
    (/proc): only max_bytes + 1 bytes are ever asked for."""
    import os

    import bptui.safe_read as sr

    p = write(tmp_path, "x" * 70_000)

    def says_ten_bytes(real):
        return lambda *a, **kw: os.stat_result((*real(*a, **kw)[:6], 10, *real(*a, **kw)[7:]))

    monkeypatch.setattr(sr.os, "stat", says_ten_bytes(os.stat))
    monkeypatch.setattr(sr.os, "fstat", says_ten_bytes(os.fstat))
    asked = []
    real_read = os.read
    monkeypatch.setattr(sr.os, "read", lambda fd, n: asked.append(n) or real_read(fd, n))
    assert refusal(p) == f"{p}: too large: more than 65,536 bytes (a scenario file is at most 65,536 bytes)"
    assert asked[0] == 11 and sum(asked) == 65_537


@pytest.mark.parametrize("key", ["preset", "activation", "loss"])
def test_a_long_string_is_quoted_by_its_start_only(tmp_path, key):
    msg = refusal(write(tmp_path, f'{key} = "{"x" * 60_000}"\n'))
    assert f"key {key!r}: must be one of" in msg and "'" + "x" * 32 + "…' (60,000 characters)" in msg
    assert len(msg) < len(str(tmp_path)) + 150


def test_a_long_unknown_key_is_quoted_by_its_start_only(tmp_path):
    msg = refusal(write(tmp_path, f'"{"k" * 60_000}" = 1\n'))
    assert "unknown key" in msg and "(60,000 characters)" in msg and len(msg) < len(str(tmp_path)) + 250


def test_an_unreadable_file_names_itself_once(tmp_path, monkeypatch):
    import bptui.safe_read as sr

    p = write(tmp_path, "lr = 1\n")

    def denied(path, flags):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(sr.os, "open", denied)
    assert refusal(p) == f"{p}: cannot be read: permission denied"
    monkeypatch.undo()
    missing = tmp_path / "nope.toml"
    assert refusal(missing) == f"{missing}: no such file"
    p.write_bytes(b"lr = 1 # \xff\n")
    assert refusal(p) == f"{p}: not UTF-8 text (byte 9 is 0xff)"
