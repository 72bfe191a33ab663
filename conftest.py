"""Registers the kata plugin (harness/plugin.py); everything else lives there."""

pytest_plugins = ["harness.judge.plugin"]
