"""The bottom line: the keys that work now and their words, drawn as one
line of text. Textual's Footer is a widget a key, composed again whenever
the bindings change; at an app's start that was a third of its CPU, which a
class of forty pays forty times over. This draws the same look from a list
the app gives it, and repaints only when the list changes."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.widget import Widget

from bptui.keys import footer_cells

# (the key Textual names, as the line writes it, its word)
FooterItem = tuple[str, str, str]


def item_width(item: FooterItem) -> int:
    _, shown, label = item
    return footer_cells(shown, label)


class KeysFooter(Widget):
    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"keys-footer--key", "keys-footer--label"}
    DEFAULT_CSS = """
    KeysFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        text-wrap: nowrap;
        .keys-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .keys-footer--label {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.items: tuple[FooterItem, ...] = ()

    def show(self, items: tuple[FooterItem, ...]) -> None:
        if items != self.items:
            self.items = items
            self.refresh()

    def render(self) -> Text:
        key_style = self.get_component_rich_style("keys-footer--key")
        label_style = self.get_component_rich_style("keys-footer--label")
        # ' key ' then 'label ', as Textual's Footer writes them
        return Text.assemble(*(part for _, shown, label in self.items for part in ((f" {shown} ", key_style), (f"{label} ", label_style))))

    def key_at(self, x: int) -> str | None:
        """The key whose words are at cell x, if any."""
        left = 0
        for item in self.items:
            left += item_width(item)
            if x < left:
                return item[0]
        return None

    def on_click(self, event: events.Click) -> None:
        key = self.key_at(event.x)
        if key is not None:
            self.app.simulate_key(key)  # a click is the key: it goes where keys go
