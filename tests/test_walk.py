"""walk.substitute: every name in a formula replaced by its number."""

from bptui.walk import substitute


def test_a_squared_name_gets_its_number():
    assert substitute("1 − o²", {"o": -0.2735949}) == "1 − (−0.2735949)²"
    assert substitute("1 − a1²", {"a1": 0.5, "a": 9.0}) == "1 − 0.5²"


def test_products_and_differences():
    assert substitute("o(1 − o)", {"o": 0.5}) == "0.5·(1 − 0.5)"
    assert substitute("2(o − y)", {"o": 0.5, "y": 4.0}) == "2(0.5 − 4)"
    assert substitute("dJ/do", {"o": 0.5}) == "dJ/do"  # a derivative's name is not a value


def test_a_squared_number_in_scientific_notation_is_bracketed():
    assert substitute("1 − o²", {"o": 1e-12}) == "1 − (1e−12)²"


def test_paths_are_numbered_as_the_gradient_panes_number_them():
    import re

    from bptui.cli import make_engine
    from bptui.scenario import Scenario
    from bptui.walk import operations
    from bptui.widgets.gradient_pane import path_title

    engine = make_engine(Scenario(preset="mazur"))
    net = engine.network
    firsts = [op for op in operations(engine) if op.kind == "backward" and " of 2 into h1" in op.lines[1]]
    assert firsts  # h1 gets two paths
    for op in firsts:
        k = int(re.search(r"\(path (\d) of 2 into h1, via (\w+)\)", op.lines[1]).group(1))
        via = op.edge.out
        # w1's path k (as its pane titles it) runs through the same consumer of h1
        assert any(e.key == (via, "h1") for e in net.paths["w1"][k - 1])
        assert path_title(net, "w1", k - 1).startswith(f"path {k} via")


def test_a_sum_without_a_bias_is_not_said_to_have_one():
    from bptui.cli import make_engine
    from bptui.scenario import Scenario
    from bptui.walk import operations

    plain = operations(make_engine(Scenario()))[0].lines[1]
    biased = operations(make_engine(Scenario(biases=(0.1, 0.2))))[0].lines[1]
    assert "bias" not in plain and "(plus a bias)" in biased
