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
