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
