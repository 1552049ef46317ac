"""Benchmark: what the managed tunnel's liveness check costs every preview and update, without the engine.

    .venv/bin/python bench/bench_tunnel_probe.py [--repeat 2000]

Times reading the record beside the control socket, this_machine() and down_reason() on the record of a live
process that looks like the tunnel's ssh (argv[0] "ssh", the control socket on its command line, the socket
bound), the same on a record whose process has exited, and the trigger that follows. Prints the best and median
of --repeat runs in microseconds.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_plan import measure
from components.tunnel.record import down_reason, read_local_record, start_time, this_machine, tunnel_trigger


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2000)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory(prefix="kthw-bench.") as directory:
        control = Path(directory) / "kthw" / "0123456789ab" / "control"
        control.parent.mkdir(parents=True)
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(str(control))
        sleeper = "import time; time.sleep(600)"
        process = subprocess.Popen(["bash", "-c", f'exec -a ssh "{sys.executable}" -c "{sleeper}" -S "{control}"'])
        try:
            time.sleep(0.2)
            here = this_machine()
            start = start_time(process.pid)
            record = "\n".join([
                "kthw-tunnel=1", "host=bench", f"machine={here.machine}", f"boot={here.boot}", f"pid={process.pid}",
                f"start={start}", f"socket={control}", "trigger=tunnel 0a1b2c on bench: opened because bench",
            ])
            (control.parent / "record").write_text(record)
            assert down_reason(record, here) is None
            exited = record.replace(f"start={start}", "start=1")

            def check(text: str) -> str:
                recorded = read_local_record(str(control.parent)) and text
                return tunnel_trigger(recorded, down_reason(recorded, this_machine()))

            cases: list[tuple[str, Callable[[], object]]] = [
                ("open tunnel: read + identity + check + trigger", lambda: check(record)),
                ("exited tunnel: read + identity + check + trigger", lambda: check(exited)),
                ("this_machine() alone", this_machine),
            ]
            for name, function in cases:
                best, median, _, _ = measure(function, repeat)
                print(f"{name:45} best {best * 1e6:7.1f} us   median {median * 1e6:7.1f} us")
        finally:
            process.kill()
            process.wait()
            listener.close()


if __name__ == "__main__":
    main()
