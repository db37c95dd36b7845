"""The README documents every command and every option its ``--help`` shows (as sqlite-utils
checks its docs against its CLI): a new option without a README line fails here."""
from __future__ import annotations

import re

import click
import pytest

from pipeline.cli import main

from .conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def commands(group: click.Group = main, prefix: str = "jingyan"):
    """(``jingyan run``, the command) for every command, subcommands of groups included."""
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            yield from commands(command, path)
        else:
            yield path, command


def section(command_path: str) -> str:
    """The README's section whose heading names the command: from its ``###`` line to the next."""
    heading = re.search(rf"^### .*`{re.escape(command_path)}[ `].*$", README, re.M)
    assert heading, f"README.md has no ### section for `{command_path}`"
    rest = README[heading.end():]
    following = re.search(r"^#{2,3} ", rest, re.M)
    return heading.group(0) + rest[:following.start() if following else len(rest)]


def help_options(command: click.Command) -> list[str]:
    """The long option names ``--help`` prints for the command (both of ``--x/--no-x``)."""
    context = click.Context(command, info_name=command.name)
    names = []
    for param in command.get_params(context):
        if isinstance(param, click.Option) and "--help" not in param.opts:  # --help is everywhere
            names += [o for o in param.opts + param.secondary_opts if o.startswith("--")]
    return names


COMMANDS = list(commands())


def test_every_command_has_a_section():
    assert {path for path, _ in COMMANDS} >= {"jingyan run", "jingyan eval", "jingyan serve", "jingyan cite",
                                               "jingyan annotate export", "jingyan annotate import"}
    for path, _ in COMMANDS:
        section(path)


@pytest.mark.parametrize("path, command", COMMANDS, ids=[p.replace(" ", "-") for p, _ in COMMANDS])
def test_every_option_of_help_is_in_the_commands_section(path, command):
    text = section(path)
    # ``annotate export`` and ``annotate import`` share one section: each option once is enough
    missing = [o for o in help_options(command) if not re.search(rf"`{re.escape(o)}[ `=/]", text)]
    assert not missing, f"{path}: options in --help but not in README.md: {missing}"


def test_serve_default_port_is_stated():
    serve = main.commands["serve"]
    port = next(p for p in serve.params if p.name == "port").default
    assert f"--port N` (default {port})" in section("jingyan serve")


def test_the_readme_says_where_the_gold_and_guidelines_live():
    assert "../shared/gold" in README and "GUIDELINES.md" in README
    assert not (REPO / "GUIDELINES.md").exists()  # so the README must not send a reader to the repository
    for line in README.splitlines():
        if "GUIDELINES.md" in line:
            assert "shared/gold" in line or "shared/gold" in README[README.index(line) - 300:README.index(line) + 300]


def test_the_readme_says_what_make_test_installs():
    for what in ("chromium", "fonts-noto-cjk", "apt-get", "root", "hanlp", "torch"):
        assert what in README.lower(), what


def test_a_missing_option_would_fail(monkeypatch):
    """The check can fail: an option added to ``run`` without a README line is caught."""
    run = main.commands["run"]
    extra = click.Option(["--undocumented-knob"], default=1)
    monkeypatch.setattr(run, "params", [*run.params, extra])
    text = section("jingyan run")
    assert "--undocumented-knob" in help_options(run)
    assert not re.search(r"`--undocumented-knob[ `=/]", text)
