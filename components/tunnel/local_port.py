"""Whether ``tunnel.localPort`` is a port the tunnel's ssh can listen on and keep: warnings, not errors (root may
bind any port, and a port in the ephemeral range is only at risk), worded from the kernel's own settings.

- Ports below ``net.ipv4.ip_unprivileged_port_start`` (1024 unless changed) can be bound only with
  CAP_NET_BIND_SERVICE (Linux ``inet_bind``), so ssh run by any user but root fails with ``bind ...: Permission
  denied``. OpenSSH leaves the decision to the kernel.
- Ports in ``net.ipv4.ip_local_port_range`` (usually 32768-60999) are the ones the kernel picks for outgoing
  connections (``connect`` without ``bind``), so one may hold the port when the tunnel opens and ssh's bind fails
  with ``Address already in use``; ports listed in ``net.ipv4.ip_local_reserved_ports`` are never picked.
  (Documentation/networking/ip-sysctl.rst in the Linux sources.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from components.tunnel.options import TunnelOptions

SYSCTL = Path("/proc/sys/net/ipv4")
PRIVILEGED_PORTS_END = 1024
"""Linux's default net.ipv4.ip_unprivileged_port_start (and the BSDs' IPPORT_RESERVED)."""
EPHEMERAL_PORTS_DEFAULT = range(32768, 61000)
"""Linux's default net.ipv4.ip_local_port_range, 32768-60999."""


@dataclass(frozen=True)
class PortSettings:
    """The kernel's settings that decide whether a local port can be listened on and stays free."""

    unprivileged_start: int = PRIVILEGED_PORTS_END
    """net.ipv4.ip_unprivileged_port_start: the lowest port any user may bind."""
    ephemeral: range = EPHEMERAL_PORTS_DEFAULT
    """net.ipv4.ip_local_port_range: where the kernel picks the local port of an outgoing connection."""
    reserved: tuple[range, ...] = ()
    """net.ipv4.ip_local_reserved_ports: ports the kernel never picks, though they are in the ephemeral range."""

    def picked_for_connections(self, port: int) -> bool:
        return port in self.ephemeral and not any(port in ports for ports in self.reserved)

    def usable(self, port: int) -> bool:
        """A port any user's ssh can bind and no outgoing connection takes."""
        return port >= self.unprivileged_start and not self.picked_for_connections(port)


def port_ranges(text: str) -> tuple[range, ...]:
    """``8000-8010,9000`` (ip_local_reserved_ports) as ranges; an empty text gives none."""
    ranges = []
    for item in text.replace(" ", "").split(","):
        if item:
            low, _, high = item.partition("-")
            ranges.append(range(int(low), int(high or low) + 1))
    return tuple(ranges)


def _sysctl(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def read_port_settings(sysctl: Path = SYSCTL) -> PortSettings:
    """This machine's settings; what cannot be read (not Linux) or parsed keeps Linux's defaults."""
    defaults = PortSettings()
    start = _sysctl(sysctl / "ip_unprivileged_port_start")
    ephemeral = _sysctl(sysctl / "ip_local_port_range").split()
    try:
        return PortSettings(
            unprivileged_start=int(start) if start else defaults.unprivileged_start,
            ephemeral=range(int(ephemeral[0]), int(ephemeral[1]) + 1) if len(ephemeral) == 2 else defaults.ephemeral,
            reserved=port_ranges(_sysctl(sysctl / "ip_local_reserved_ports")),
        )
    except ValueError:
        return defaults


def suggested_port(kernel: PortSettings, default: int = TunnelOptions().local_port) -> int:
    """A local port that would do: the default, else the highest one below the ephemeral range, else above it."""
    candidates = (default, kernel.ephemeral.start - 1, kernel.ephemeral.stop)
    return next((port for port in candidates if 0 < port <= 65535 and kernel.usable(port)), default)


def local_port_warnings(port: int, kernel: PortSettings, *, hide_values: bool = False) -> list[str]:
    """Why ssh may not listen on ``port`` (tunnel.localPort), each naming the key and a port that would do; none
    when it can. ``hide_values``: the port comes from secret config, so no message shows it."""
    key = "kthw:tunnel.localPort"
    value = "" if hide_values else f" {port}"
    fix = f"pulumi config set --path tunnel.localPort {suggested_port(kernel)}"
    warnings = []
    if port < kernel.unprivileged_start:
        warnings.append(
            f"{key}:{value} is below {kernel.unprivileged_start} (net.ipv4.ip_unprivileged_port_start), where only "
            f"root may listen: ssh run by any other user cannot bind it; choose another port: {fix}")
    if kernel.picked_for_connections(port):
        warnings.append(
            f"{key}:{value} is in the kernel's ephemeral port range {kernel.ephemeral.start}-"
            f"{kernel.ephemeral.stop - 1} (net.ipv4.ip_local_port_range), from which outgoing connections take "
            f"their local port: one may hold it when the tunnel opens; choose another port: {fix}; or add it to "
            "net.ipv4.ip_local_reserved_ports")
    return warnings
