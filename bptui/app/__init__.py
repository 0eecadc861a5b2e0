"""The stepper on screen, and what only a screen needs: the Textual app
(stepper_app), its layout (app.tcss) and the bounded terminal driver that
`bptui serve` gives each student's app (input_driver). The only package, with
widgets and screens, that imports Textual."""

from bptui.app.stepper_app import BptuiApp

__all__ = ["BptuiApp"]
