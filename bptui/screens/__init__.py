"""Screens shown over the stepper."""
