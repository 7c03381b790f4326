"""The checks of `qckpt doctor`, one function each: a Cell in, Findings out (pure but for
looking at files and the hooks' digest on this host)."""

from __future__ import annotations

import os

import psutil

from qckpt.backend.doctor.findings import Cell, Finding, fail, ok, warn
from qckpt.backend.doctor.time_limits import check_time_limits
from qckpt.backend.gridengine import pes
from qckpt.backend.gridengine.formats import interval_seconds, split_list
from qckpt.backend.setup import cpu_complexes, hooks_install, host_probe
from qckpt.hooks import engine_dmtcp, jobinfo
from qckpt.hooks.errors import EngineError

LOW_FREE = 0.05  # warn under 5% free in a ckpt_dir's file system


def hook_dir(command: str) -> str | None:
    """The directory of the qckpt-hook a command calls (None: it calls no qckpt-hook)."""
    return os.path.dirname(command.split()[0]) if jobinfo.parse_command_line(command) else None


def hook_paths(cell: Cell) -> dict[str, list[str]]:
    """Directory of qckpt-hook -> the environments whose commands call it."""
    dirs: dict[str, list[str]] = {}
    for env in cell.envs:
        for command in (env.ckpt_command, env.migr_command, env.clean_command):
            folder = hook_dir(command)
            if folder is not None:
                names = dirs.setdefault(folder, [])
                if env.name not in names:
                    names.append(env.name)
    return dirs


def check_hooks(cell: Cell) -> list[Finding]:
    out = []
    for folder, envs in sorted(hook_paths(cell).items()):
        subject = f"{folder} ({', '.join(envs)})"
        hook = os.path.join(folder, hooks_install.HOOK)
        if not os.access(hook, os.X_OK):
            out.append(
                fail(
                    "hooks",
                    subject,
                    f"{hook} is missing here",
                    f"qckpt hooks install {folder} (a directory every host sees)",
                )
            )
            continue
        with open(hook, "rb") as handle:
            python = handle.readline().decode(errors="replace")[2:].split()[0]
        current = hooks_install.digest(hooks_install.build_zipapp(python))
        if hooks_install.installed_digest(folder) != current:
            out.append(
                warn(
                    "hooks",
                    subject,
                    "installed hooks are not this qckpt's version",
                    f"qckpt hooks install {folder}",
                )
            )
        else:
            out.append(ok("hooks", subject, "installed and current (every host must see them)"))
    return out


def check_dmtcp(cell: Cell) -> list[Finding]:
    users = [e.name for e in cell.envs if (h := cell.hooks(e)) and h.options.engine == "dmtcp"]
    if not users:
        return []
    subject = ", ".join(users)
    try:
        found = engine_dmtcp.find().launch  # where and how the hooks look for it
    except EngineError:
        return [
            fail(
                "dmtcp",
                subject,
                "DMTCP not found on PATH or under /opt/dmtcp here",
                "build DMTCP from its sources (its INSTALL.md) on every execution host",
            )
        ]
    out = [ok("dmtcp", subject, f"{found} here (install the same on every execution host)")]
    for env in cell.envs:
        hook = cell.hooks(env)
        if hook and hook.options.engine == "dmtcp" and hook.options.compress == "none":
            out.append(
                warn(
                    "dmtcp",
                    env.name,
                    UNCOMPRESSED,
                    f"qckpt env edit {env.name} --ckpt-command ... --migr-command ... without"
                    " --compress none, unless its jobs start no processes",
                )
            )
    return out


# Seen with DMTCP 5.0 (its July 2026 master): without gzip (DMTCP_GZIP=0) a job that starts
# processes while a checkpoint is taken dies with exit 97, DMTCP's failure code: "Connection
# rejected by the coordinator: current computation is not in RUNNING state" (its
# coordinatorapi.cpp). 4 of 4 shell scripts starting a `sleep` every 0.1 s died within 1 to
# 32 checkpoints at 3 s; with gzip 0 of 4 in 160, though once in the whole test suite a
# gzip job died the same way (a race gzip's slower writing makes rare, not impossible).
# Programs that start no processes ran to their end without gzip (4 Python counters, 31
# checkpoints each; the P2 benchmark's job).
UNCOMPRESSED = (
    "--compress none: with DMTCP 5.0, a job that starts processes while a checkpoint is taken"
    " dies (exit 97, seen with shell scripts); for programs that start none it is 2 to 10"
    " times faster (P2)"
)


def check_ckpt_dirs(cell: Cell) -> list[Finding]:
    out = []
    for path in sorted({e.ckpt_dir for e in cell.envs if cell.hooks(e)}):
        if not os.path.isdir(path):
            out.append(
                fail(
                    "ckpt_dir",
                    path,
                    "does not exist here",
                    f"mkdir -p {path} && chmod 1777 {path} (shared by every host)",
                )
            )
            continue
        mode = os.stat(path).st_mode & 0o7777
        if mode & 0o1777 != 0o1777:
            out.append(
                fail(
                    "ckpt_dir",
                    path,
                    f"mode {mode:o}: every job owner must write, only into their own directory",
                    f"chmod 1777 {path}",
                )
            )
            continue
        shared_log = os.path.join(path, "ckpt.log")
        if os.path.lexists(shared_log):
            out.append(
                warn(
                    "ckpt_dir",
                    path,
                    "ckpt.log, the shared event log of an older qckpt, is still there: any user"
                    " could write it; events now go to each user's events-USER.log",
                    f"rm {shared_log}",
                )
            )
        disk = psutil.disk_usage(path)
        if disk.free < LOW_FREE * disk.total:
            out.append(
                warn(
                    "ckpt_dir",
                    path,
                    f"only {disk.free >> 30} GiB free of {disk.total >> 30} GiB",
                    "free space or move ckpt_dir",
                )
            )
        else:
            out.append(ok("ckpt_dir", path, f"1777, {disk.free >> 30} GiB free"))
    return out


def check_starters(cell: Cell) -> list[Finding]:
    """A queue offering a qckpt environment needs qckpt-starter as its starter_method."""
    ours = {e.name for e in cell.envs if cell.hooks(e)}
    out = []
    for queue in cell.queues:
        for host in [None, *queue.override_hosts()]:
            label = f"{queue.name}@{host}" if host else queue.name
            offered = set(split_list(queue.value("ckpt_list", host))) & ours
            starter = queue.value("starter_method", host)
            is_ours = os.path.basename(starter) == hooks_install.STARTER
            if offered and not is_ours:
                out.append(
                    fail(
                        "starter",
                        label,
                        f"offers {', '.join(sorted(offered))} but starter_method is {starter}",
                        f"qckpt queue set {label} --starter-method DIR/{hooks_install.STARTER}",
                    )
                )
            elif is_ours and not offered and host is None:
                out.append(
                    warn(
                        "starter",
                        label,
                        "runs jobs through qckpt-starter but offers no qckpt environment",
                        f"qckpt queue attach ENV {label}",
                    )
                )
            elif offered:
                out.append(ok("starter", label, "qckpt-starter"))
    return out


def check_when(cell: Cell) -> list[Finding]:
    """`when` letters that can never trigger where the environment is offered."""
    out = []
    for env in (e for e in cell.envs if cell.hooks(e)):
        places = cell.offering(env.name)
        if not places:
            out.append(
                warn("when", env.name, "no queue offers it", f"qckpt queue attach {env.name} QUEUE")
            )
            continue
        if "m" in env.when:
            intervals = [q.value("min_cpu_interval", h) for q, h in places]
            if all(interval_seconds(i) is None for i in intervals):
                out.append(
                    warn(
                        "when",
                        env.name,
                        "m (periodic) never triggers: min_cpu_interval is 0 wherever it is offered",
                        "qckpt queue set QUEUE --min-cpu-interval 01:00:00",
                    )
                )
        if "x" in env.when and env.migr_command.upper() == "NONE":
            out.append(
                warn(
                    "when",
                    env.name,
                    "x (migrate on suspend) without a migr_command",
                    f"qckpt env edit {env.name} --migr-command ...",
                )
            )
        if not [f for f in out if f.subject == env.name]:
            out.append(ok("when", env.name, f"when {env.when} can trigger"))
    return out


def check_complexes(cell: Cell) -> list[Finding]:
    same_cpu = [e.name for e in cell.envs if (h := cell.hooks(e)) and h.options.same_cpu]
    wanted = cpu_complexes.complex_lines()
    defined = {n: w for n, w in cell.complexes.items() if n in wanted}
    if not defined and not same_cpu:
        return []
    out = []
    missing = sorted(set(wanted) - set(defined))
    wrong = sorted(n for n, words in defined.items() if words != wanted[n].split())
    if missing or wrong:
        names = ", ".join((missing + wrong)[:3])
        out.append(
            fail(
                "complexes",
                names,
                "CPU complexes missing or defined otherwise (a level"
                " request must be at most what a host offers: relop <=)",
                "qckpt apply a file with cpu_complexes: true",
            )
        )
    for host in cell.exec_hosts:
        if host not in cell.levels and defined:
            out.append(
                warn(
                    "complexes",
                    host,
                    "no x86_64_level value: same-CPU restarts cannot be placed here",
                    "set host values, or the load sensor",
                )
            )
    if not out:
        out.append(ok("complexes", ", ".join(same_cpu) or "cell", "defined, every host has values"))
    return out


def check_same_cpu_hosts(cell: Cell) -> list[Finding]:
    """The migrate hook of a same-CPU environment calls qstat and qalter on the job's host."""
    out = []
    for env in (e for e in cell.envs if (h := cell.hooks(e)) and h.options.same_cpu):
        hosts = {h for q, _ in cell.offering(env.name) for h in q.hosts}
        refused = sorted(h for h in hosts if h not in cell.admin_or_submit)
        if refused:
            out.append(
                fail(
                    "same-cpu",
                    env.name,
                    f"{', '.join(refused)} neither admin nor"
                    " submit host: the migrate hook cannot pin the restart",
                    f"qconf -as {refused[0]}",
                )
            )
        elif hosts:
            out.append(ok("same-cpu", env.name, "its hosts may run qstat and qalter"))
    return out


def check_queue_states(cell: Cell) -> list[Finding]:
    out = []
    for state in sorted(cell.states.values(), key=lambda s: s.name):
        if "E" in state.states:
            why = "; ".join(state.messages) or "error state"
            out.append(
                fail(
                    "queue-state",
                    state.name,
                    why,
                    f"fix the cause (a missing starter_method?), then qckpt queue clear"
                    f" {state.name}",
                )
            )
    return out


def check_parallel(cell: Cell) -> list[Finding]:
    """A parallel environment offered beside a qckpt environment, and what in it stops its
    jobs' checkpoints (pes.problems)."""
    engines = {e.name: h.options.engine for e in cell.envs if (h := cell.hooks(e))}
    out = []
    for queue in cell.queues:
        for host in [None, *queue.override_hosts()]:
            offered = [e for e in split_list(queue.value("ckpt_list", host)) if e in engines]
            label = f"{queue.name}@{host}" if host else queue.name
            for pe in split_list(queue.value("pe_list", host)):
                attrs = cell.pes.get(pe)
                if not offered or attrs is None:
                    continue
                subject = f"{pe} ({label}: {', '.join(offered)})"
                dmtcp = [e for e in offered if engines[e] == "dmtcp"]
                found = [warn("parallel", subject, m, f) for m, f in pes.problems(pe, attrs, dmtcp)]
                out += found or [ok("parallel", subject, "its tasks are checkpointed with it")]
    return out


ALL = (
    check_hooks,
    check_dmtcp,
    check_ckpt_dirs,
    check_starters,
    check_when,
    check_complexes,
    check_same_cpu_hosts,
    check_queue_states,
    check_time_limits,
    check_parallel,
)


def check_hosts(cell: Cell, ge, user: str) -> list[Finding]:
    """Asked of every execution host by a probe job (`qckpt doctor --hosts`): its view of
    ckpt_dir, the hooks it runs, DMTCP where an environment needs it."""
    out = []
    for env in (e for e in cell.envs if cell.hooks(e)):
        hooks_dir = hook_dir(env.ckpt_command) or ""
        hosts = sorted({h for q, _ in cell.offering(env.name) for h in q.hosts})
        if not hosts or not os.access(os.path.join(hooks_dir, hooks_install.HOOK), os.X_OK):
            continue
        current = hooks_install.installed_digest(hooks_dir)
        needs_dmtcp = cell.hooks(env).options.engine == "dmtcp"
        for report in host_probe.probe_hosts(ge, hooks_dir, env.ckpt_dir, user, hosts):
            subject = f"{report.host} ({env.name})"
            if not report.ok:
                out.append(fail("host", subject, report.problem, "mount ckpt_dir there, 1777"))
            elif needs_dmtcp and report.dmtcp is None:
                out.append(
                    fail(
                        "host",
                        subject,
                        "DMTCP is missing there",
                        "build DMTCP from its sources on that host",
                    )
                )
            elif report.hook != current:
                out.append(
                    warn(
                        "host",
                        subject,
                        "runs other hooks than this host sees",
                        f"qckpt hooks install {hooks_dir} (a shared directory)",
                    )
                )
            else:
                dmtcp = f", DMTCP {report.dmtcp}" if needs_dmtcp else ""
                out.append(ok("host", subject, f"ckpt_dir writable, hooks current{dmtcp}"))
    return out
