"""What an app loads only once it runs in a terminal: its driver, the
parser of what the terminal sends, the layouts, the scrollbars and rich's
table of cell widths. The warm template (bptui.template_main) loads them
before it forks, so that no student's app loads them again."""

from __future__ import annotations


def preload() -> None:
    import rich.ansi  # noqa: F401
    import textual._xterm_parser  # noqa: F401
    import textual.drivers.linux_driver  # noqa: F401
    import textual.layouts.factory  # noqa: F401
    import textual.layouts.horizontal  # noqa: F401
    import textual.layouts.stream  # noqa: F401
    import textual.pilot  # noqa: F401
    import textual.scrollbar  # noqa: F401
    from rich.cells import cell_len

    cell_len("σ·−≈中")  # rich loads its width table on first use
