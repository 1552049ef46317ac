"""The error types every config problem is reported with: one problem, or several found together."""

from __future__ import annotations


class ConfigError(ValueError):
    """A config value the program cannot accept.

    ``key`` is the config path as the user sets it (``network.serviceCidr``, ``nodes[2].podCidr``),
    ``problem`` says what is wrong and ``accepted`` what would be accepted instead.
    """

    def __init__(self, key: str, problem: str, accepted: str = "") -> None:
        self.key = key
        self.problem = problem
        self.accepted = accepted
        text = f"invalid config kthw:{key}: {problem}"
        if accepted:
            text += f"; expected {accepted}"
        super().__init__(text)


class CollectedConfigError(ValueError):
    """Several independent config problems, reported together so one preview shows them all (as kube-apiserver's
    options validation collects every error)."""

    def __init__(self, errors: list[ConfigError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))
