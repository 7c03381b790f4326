"""This host's CPU features, as Grid Engine complexes: the 2012 cpuflag_* BOOLs and an
x86-64 micro-architecture level (1 to 4, the psABI's x86-64-v1..v4). Pure except `read_flags`."""

from __future__ import annotations

import os

LEVEL_COMPLEX = "x86_64_level"
FLAG_PREFIX = "cpuflag_"
# Features a compiled program may depend on (the 2012 scripts took pni, sse* and avx*).
FLAGS = (
    "sse", "sse2", "pni", "ssse3", "sse4_1", "sse4_2", "popcnt", "avx", "avx2", "fma", "f16c",
    "bmi1", "bmi2", "movbe", "avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl",
)  # fmt: skip
LEVELS = (
    ("lm", "cmov", "cx8", "fpu", "fxsr", "mmx", "syscall", "sse", "sse2"),
    ("cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3"),
    ("avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"),
    ("avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"),
)


def read_flags(path: str = "/proc/cpuinfo") -> set[str]:
    try:
        with open(path) as handle:
            for line in handle:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def level(flags: set[str]) -> int:
    """The highest x86-64 level whose features (and every lower level's) are all present."""
    reached = 0
    for number, needed in enumerate(LEVELS, start=1):
        if not set(needed) <= flags:
            break
        reached = number
    return reached


def level_flags(number: int) -> set[str]:
    """The features every host of x86-64 level `number` has."""
    return {flag for needed in LEVELS[:number] for flag in needed}


def features(flags: set[str]) -> dict:
    """What a generation records about the CPU it was taken on."""
    return {"level": level(flags), "flags": sorted(f for f in FLAGS if f in flags)}


def lacking(taken_on: dict, flags: set[str]) -> list[str]:
    """What this host lacks of the CPU a generation was taken on (empty: safe to restart)."""
    missing = [f for f in taken_on.get("flags", []) if f not in flags]
    if level(flags) < int(taken_on.get("level", 0)):
        missing.append(f"x86-64-v{taken_on['level']} (this host is v{level(flags)})")
    return missing


def complex_values(flags: set[str]) -> dict[str, str]:
    """A host's values for the CPU complexes (host complex_values, or the load sensor's)."""
    values = {LEVEL_COMPLEX: str(level(flags))}
    values.update({FLAG_PREFIX + f: "TRUE" if f in flags else "FALSE" for f in FLAGS})
    return values


def requests(flags: set[str]) -> dict[str, str]:
    """Hard requests that pin a restart to hosts with these features."""
    wanted = {FLAG_PREFIX + f: "TRUE" for f in FLAGS if f in flags}
    wanted[LEVEL_COMPLEX] = str(level(flags))
    return wanted


def merge_requests(
    existing: dict[str, str], ours: dict[str, str], known: set[str]
) -> dict[str, str]:
    """The job's other requests kept; CPU requests merged (an array job's tasks may have been
    taken on different CPUs: a host must satisfy all of them); unknown complexes left out."""
    merged = dict(existing)
    for name, value in ours.items():
        if name not in known:
            continue
        if name == LEVEL_COMPLEX and existing.get(name, "0").isdigit():
            value = str(max(int(existing.get(name, "0")), int(value)))
        merged[name] = value
    return merged


def sensor_main(argv: list[str]) -> int:
    """qckpt-loadsensor: what the host configuration's load_sensor runs."""
    import sys

    loadsensor(sys.stdin, sys.stdout)
    return 0


def loadsensor(stdin, stdout, host: str | None = None, cpuinfo: str = "/proc/cpuinfo") -> None:
    """Grid Engine's load sensor protocol: an empty line asks for a report, `quit` ends."""
    host = host or os.environ.get("HOST") or os.uname().nodename
    for line in stdin:
        if line.strip() == "quit":
            return
        flags = read_flags(cpuinfo)
        out = ["begin", f"{host}:{LEVEL_COMPLEX}:{level(flags)}"]
        out += [f"{host}:{FLAG_PREFIX}{f}:{1 if f in flags else 0}" for f in FLAGS]
        out.append("end")
        stdout.write("\n".join(out) + "\n")
        stdout.flush()
