"""The error types every config problem is reported with: one problem, or several found together."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from components.config.shown import SECRET_VALUES, values_hidden

T = TypeVar("T")


class AnyConfigError(ValueError):
    """One config problem or several: what every check raises and every caller catches, as ``errors``."""

    @property
    def errors(self) -> list[ConfigError]:
        """Every problem, in the order found."""
        raise NotImplementedError


class ConfigError(AnyConfigError):
    """A config value the program cannot accept.

    ``key`` is the config path as the user sets it (``network.serviceCidr``, ``nodes[2].podCidr``),
    ``problem`` says what is wrong and ``accepted`` what would be accepted instead.

    A problem found while ``hiding_values`` is in force (the value comes from a key set with ``--secret``) is told
    without values: ``without_values`` words it so (``"is a loopback address"``), or it is only "refused". A check
    whose ``problem`` and ``accepted`` show values only through ``shown`` (which hides them) passes ``safe``: its
    text is printed as it is.
    """

    def __init__(self, key: str, problem: str, accepted: str = "", *, without_values: str = "",
                 safe: bool = False) -> None:
        self.key = key
        self.problem = problem
        self.accepted = accepted
        self.without_values = without_values
        """The problem in words that show no value, for config set with ``--secret``; empty: only "is refused"."""
        self.safe = safe
        self.hidden = values_hidden()
        """Whether the value came from secret config: then ``str`` never shows it."""
        super().__init__(self.text(self.hidden))

    def text(self, hide_values: bool) -> str:
        """The message; with ``hide_values`` (and not ``safe``) the key and a problem without values."""
        if hide_values and not self.safe:
            return f"invalid config kthw:{self.key}: {self.without_values or 'is refused'} ({SECRET_VALUES})"
        text = f"invalid config kthw:{self.key}: {self.problem}"
        if self.accepted:
            text += f"; expected {self.accepted}"
        return text

    @property
    def errors(self) -> list[ConfigError]:
        """This one problem."""
        return [self]


class CollectedConfigError(AnyConfigError):
    """Several independent config problems, reported together so one preview shows them all (as kube-apiserver's
    options validation collects every error)."""

    def __init__(self, errors: list[ConfigError]) -> None:
        self._errors = errors
        super().__init__("\n".join(str(error) for error in errors))

    @property
    def errors(self) -> list[ConfigError]:
        return self._errors


class Problems:
    """Collects the ConfigErrors of independent checks, so that one run reports all of them."""

    def __init__(self) -> None:
        self.errors: list[ConfigError] = []
        """Every problem found so far, in the order the checks ran."""

    def check(self, read: Callable[[], T], fallback: T) -> T:
        """The result of ``read``, or ``fallback`` after recording the problem(s) it raised."""
        try:
            return read()
        except AnyConfigError as problems:
            self.errors.extend(problems.errors)
        return fallback

    def raise_any(self) -> None:
        """Raise the one problem found, or all of them together."""
        raise_all(self.errors)


def problem_lines(errors: Sequence[ConfigError], hide_values: bool) -> list[str]:
    """One line per problem; with ``hide_values`` (the values come from secret config) none shows a value."""
    return [error.text(hide_values or error.hidden) for error in errors]


def raise_all(errors: Sequence[ConfigError]) -> None:
    """Raise nothing, the one problem, or all of them together in a CollectedConfigError."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise CollectedConfigError(list(errors))
