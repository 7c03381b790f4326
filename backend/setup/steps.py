"""`qckpt setup`: the 2012 README's page of manual steps as a list of steps, each showing what
it will do (the commands, the files) before doing it, each skippable and re-runnable. The
console's wizard and `qckpt setup --yes --config FILE` run the same steps."""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass, field
from typing import Callable

from qckpt.backend.errors import FieldError, QckptError, ValidationFailed
from qckpt.backend.gridengine import pes
from qckpt.backend.gridengine.configuration import set_global
from qckpt.backend.gridengine.envs import EnvStore
from qckpt.backend.gridengine.formats import split_list
from qckpt.backend.gridengine.hosts import admin_or_submit_hosts, hosts_of_queues
from qckpt.backend.gridengine.queues import QueueStore, Target, check_setting
from qckpt.backend.gridengine.rules import check_name, check_when
from qckpt.backend.gridengine.runner import GridEngine
from qckpt.backend.setup import cpu_complexes, host_probe, smoke_test
from qckpt.backend.setup.hooks_install import HOOK, LOADSENSOR, STARTER, install
from qckpt.backend.setup.templates import TEMPLATES, from_template

Progress = Callable[[str], None]


class StepFailed(QckptError):
    """A step could not be done: why, and how to fix it."""

    def __init__(self, why: str, fix: str) -> None:
        super().__init__(f"{why}. Fix: {fix}")
        self.why, self.fix = why, fix


@dataclass
class Answers:
    hooks_dir: str
    ckpt_dir: str
    templates: list[str] = field(default_factory=lambda: ["dmtcp"])
    queues: list[str] = field(default_factory=lambda: ["all.q"])
    job_user: str = ""  # an ordinary user: probe and smoke-test jobs (root cannot run jobs)
    load_threshold: str = ""  # e.g. np_load_avg=1.75: suspend (and so migrate) above it
    cpu_values: str = "host"  # same-CPU values: "host" (set per host) or "sensor" (load sensor)
    when: str = "xsr"  # the environments' when; with m, every min_cpu_interval too
    parallel_env: str = ""  # a PE for checkpointing parallel jobs, made or checked (none: "")
    smoke_test: bool = True

    @classmethod
    def defaults(cls, ge: GridEngine) -> Answers:
        env = ge.environment()
        root = env.get("SGE_ROOT", "/var/lib/gridengine")
        user = env.get("QCKPT_SANDBOX_USER") or env.get("SUDO_USER") or ""
        return cls(
            hooks_dir=os.path.join(root, "qckpt"),
            ckpt_dir=os.path.join(root, "ckpt"),
            job_user=user,
        )

    @classmethod
    def from_dict(cls, data: object, ge: GridEngine) -> Answers:
        if not isinstance(data, dict):
            raise ValidationFailed([FieldError("config", "a mapping of setup answers")])
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValidationFailed([FieldError(unknown[0], "not a setup answer")])
        answers = cls.defaults(ge)
        for key, value in data.items():
            if key in ("templates", "queues") and isinstance(value, str):
                value = value.replace(",", " ").split()
            setattr(answers, key, value)
        answers.check()
        return answers

    def check(self) -> None:
        errors = []
        for key in ("hooks_dir", "ckpt_dir"):
            value = getattr(self, key)
            if not isinstance(value, str) or not os.path.isabs(value) or " " in value:
                errors.append(FieldError(key, "an absolute path without spaces"))
        if not self.templates or any(t not in TEMPLATES for t in self.templates):
            errors.append(FieldError("templates", "one or more of " + ", ".join(TEMPLATES)))
        if not self.queues or not all(isinstance(q, str) and q for q in self.queues):
            errors.append(FieldError("queues", "one or more cluster queue names"))
        if self.load_threshold:
            problem = check_setting("suspend_thresholds", self.load_threshold)
            if problem:
                errors.append(FieldError("load_threshold", problem.rule))
        if not ordinary_user(self.job_user):
            errors.append(FieldError("job_user", "an ordinary user (uid >= 1000) for test jobs"))
        if self.cpu_values not in ("host", "sensor"):
            errors.append(FieldError("cpu_values", "host (complex values) or sensor (load sensor)"))
        if not isinstance(self.when, str):
            errors.append(FieldError("when", "letters from s, m, x, r, or n alone"))
        elif problem := check_when(self.when):
            errors.append(problem)
        if not isinstance(self.parallel_env, str):
            errors.append(FieldError("parallel_env", "a parallel environment's name, or empty"))
        elif self.parallel_env and (problem := check_name(self.parallel_env, "parallel_env")):
            errors.append(problem)
        if not isinstance(self.smoke_test, bool):
            errors.append(FieldError("smoke_test", "true or false"))
        if errors:
            raise ValidationFailed(errors)

    @property
    def same_cpu(self) -> bool:
        return "dmtcp-cpu" in self.templates

    def env_names(self) -> list[str]:
        return list(self.templates)  # each environment is named after its template


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def ordinary_user(name: object) -> bool:
    try:
        return isinstance(name, str) and pwd.getpwnam(name).pw_uid >= 1000
    except KeyError:
        return False


@dataclass
class Step:
    key: str
    title: str
    shows: list[str]  # what it will do: commands and files
    run: Callable[[Progress], str]  # does it (reporting progress), returns its outcome


def steps(ge: GridEngine, answers: Answers) -> list[Step]:
    answers.check()
    probed: dict[str, host_probe.HostReport] = {}  # the ckpt_dir step's, for the CPU step
    made = [
        hooks_step(answers),
        ckpt_dir_step(ge, answers, probed),
        environments_step(ge, answers),
    ]
    if answers.same_cpu:
        made.append(cpu_step(ge, answers, probed))
    made.append(queues_step(ge, answers))
    if answers.parallel_env:
        made.append(parallel_step(ge, answers))
    if answers.same_cpu:
        made.append(submit_hosts_step(ge, answers))
    if answers.smoke_test:
        made.append(smoke_step(ge, answers))
    return made


def hooks_step(a: Answers) -> Step:
    files = [os.path.join(a.hooks_dir, name) for name in (HOOK, STARTER, LOADSENSOR)]
    shows = [
        f"qckpt hooks install {a.hooks_dir}",
        *[f"  writes {f}" for f in files],
        "  (a directory every execution host sees, at the same path)",
    ]

    def run(progress: Progress) -> str:
        written = install(a.hooks_dir)
        return f"installed {len(written) - 1} files, digest {written['digest']}"

    return Step("hooks", "Install the hooks", shows, run)


def ckpt_dir_step(ge: GridEngine, a: Answers, probed: dict) -> Step:
    shows = [
        f"mkdir -p {a.ckpt_dir}",
        f"chmod 1777 {a.ckpt_dir}   (sticky: each job owner writes only its own directory)",
        f"as {a.job_user}, one job per execution host of {', '.join(a.queues)}:",
        f"  qsub -l h=HOST -b y {a.hooks_dir}/{HOOK} probe "
        f"{a.ckpt_dir}   (writes there, reports CPU and DMTCP)",
    ]

    def run(progress: Progress) -> str:
        os.makedirs(a.ckpt_dir, exist_ok=True)
        os.chmod(a.ckpt_dir, 0o1777)
        hosts = hosts_of_queues(ge, a.queues)
        progress(f"probing {len(hosts)} hosts: {' '.join(hosts)}")
        reports = host_probe.probe_hosts(ge, a.hooks_dir, a.ckpt_dir, a.job_user, hosts)
        probed.clear()
        probed.update({r.host: r for r in reports if r.ok})
        bad = [r for r in reports if not r.ok]
        for report in reports:
            progress(
                f"{report.host}: " + (report.problem or f"ok, DMTCP {report.dmtcp or 'absent'}")
            )
        if bad:
            raise StepFailed(
                f"{bad[0].host} cannot use {a.ckpt_dir}: {bad[0].problem}",
                f"mount {a.ckpt_dir} on every execution host (same path), mode 1777",
            )
        absent = [r.host for r in reports if r.dmtcp is None]
        if absent and any(t.startswith("dmtcp") for t in a.templates):
            raise StepFailed(
                f"DMTCP is missing on {', '.join(absent)}",
                "build DMTCP from its sources (INSTALL.md) on every execution host",
            )
        return f"{plural(len(reports), 'host')} can write {a.ckpt_dir}"

    return Step("ckpt_dir", "Create ckpt_dir and check every host reaches it", shows, run)


def environments_step(ge: GridEngine, a: Answers) -> Step:
    envs = [from_template(t, t, a.hooks_dir, a.ckpt_dir, when=a.when) for t in a.templates]
    shows = []
    for env in envs:
        shows += [f"qconf -Ackpt (or -Mckpt) {env.name}:"]
        shows += [f"  {line}" for line in env.to_text().splitlines()]

    def run(progress: Progress) -> str:
        store = EnvStore(ge)
        present = {e.name: e for e in store.list()}
        done = []
        for env in envs:
            if env.name not in present:
                store.add(env)
                done.append(f"added {env.name}")
            elif present[env.name].diff(env):
                store.modify(env, present[env.name])
                done.append(f"updated {env.name}")
            else:
                done.append(f"{env.name} already so")
            progress(done[-1])
        return "; ".join(done)

    return Step("environments", "Define the checkpoint environments", shows, run)


def cpu_step(ge: GridEngine, a: Answers, probed: dict) -> Step:
    return sensor_step(ge, a) if a.cpu_values == "sensor" else host_values_step(ge, a, probed)


def sensor_step(ge: GridEngine, a: Answers) -> Step:
    sensor = os.path.join(a.hooks_dir, LOADSENSOR)
    shows = [
        "qconf -Mc   (adds x86_64_level INT <= and the cpuflag_* BOOL complexes)",
        f"qconf -mconf global: load_sensor {sensor}",
        "  (every execd reports its own CPU; an execd reads a new load_sensor only when "
        "it starts: restart sge_execd on each host)",
    ]

    def run(progress: Progress) -> str:
        added = cpu_complexes.ensure_complexes(ge)
        progress(f"CPU complexes: {len(added)} added or corrected")
        changed = set_global(ge, {"load_sensor": sensor})
        progress(f"load_sensor {sensor}" + (" set" if changed else " already so"))
        return "restart sge_execd on each execution host to start the load sensor"

    return Step("cpu", "Same-CPU migration: complexes and the load sensor", shows, run)


def host_values_step(ge: GridEngine, a: Answers, probed: dict) -> Step:
    shows = [
        "qconf -Mc   (adds x86_64_level INT <= and the cpuflag_* BOOL complexes)",
        "qconf -mattr exechost complex_values x86_64_level=N,cpuflag_...=TRUE HOST",
        "  (each host's values as its probe job measured them; the load sensor "
        f"{a.hooks_dir}/{LOADSENSOR} is the alternative)",
    ]

    def run(progress: Progress) -> str:
        added = cpu_complexes.ensure_complexes(ge)
        progress(f"CPU complexes: {len(added)} added or corrected")
        hosts = hosts_of_queues(ge, a.queues)
        unknown = [h for h in hosts if h not in probed]  # the ckpt_dir step asked the others
        reports = [probed[h] for h in hosts if h in probed]
        reports += host_probe.probe_hosts(ge, a.hooks_dir, a.ckpt_dir, a.job_user, unknown)
        for report in reports:
            if not report.ok:
                raise StepFailed(report.problem, "run the ckpt_dir step first")
            values = ",".join(f"{k}={v}" for k, v in report.cpu.items())
            ge.qconf("-mattr", "exechost", "complex_values", values, report.host)
            progress(f"{report.host}: x86_64_level={report.cpu.get('x86_64_level')}")
        return f"CPU values set on {plural(len(reports), 'host')}"

    return Step("cpu", "Same-CPU migration: complexes and host values", shows, run)


def queues_step(ge: GridEngine, a: Answers) -> Step:
    starter = os.path.join(a.hooks_dir, STARTER)
    shows = [
        f"qckpt queue attach {e} {q} --starter {starter}" for q in a.queues for e in a.env_names()
    ]
    if a.load_threshold:
        shows += [
            f"qckpt queue set {q} --suspend-thresholds {a.load_threshold}   (above it "
            "Grid Engine suspends the job; with when x that migrates it)"
            for q in a.queues
        ]

    def run(progress: Progress) -> str:
        store = QueueStore(ge)
        for queue in a.queues:
            for env in a.env_names():
                store.attach(env, Target(queue), starter=starter)
            if a.load_threshold:
                store.set(Target(queue), {"suspend_thresholds": a.load_threshold})
            listed = split_list(store.get(queue).value("ckpt_list"))
            progress(f"{queue}: ckpt_list {' '.join(listed)}, starter_method {starter}")
        return f"{', '.join(a.env_names())} offered on {plural(len(a.queues), 'queue')}"

    return Step("queues", "Attach them to the queues with the starter", shows, run)


def parallel_step(ge: GridEngine, a: Answers) -> Step:
    """The PE for checkpointing parallel jobs: made if missing (every run on one host when a
    DMTCP environment is set up: DMTCP cannot checkpoint a job across hosts), checked if it
    exists (never changed behind its administrator's back), and on the queues."""
    name = a.parallel_env
    dmtcp = [e for e in a.env_names() if e.startswith("dmtcp")]
    rule = "$pe_slots" if dmtcp else "$round_robin"
    shows = [f"qconf -Ap {name}   (if it does not exist; else it is checked):"]
    shows += [f"  {line}" for line in pes.pe_text(name, rule).splitlines()]
    shows += [f"qconf -aattr queue pe_list {name} {q}" for q in a.queues]

    def run(progress: Progress) -> str:
        found = pes.list_pes(ge).get(name)
        if found is None:
            pes.add_pe(ge, name, rule)
            done = f"added {name} (allocation_rule {rule})"
        else:
            wrong = pes.problems(name, found, dmtcp)
            if wrong:
                raise StepFailed(f"{name}: " + "; ".join(m for m, _ in wrong), wrong[0][1])
            done = f"{name} already fit"
        progress(done)
        store = QueueStore(ge)
        for queue in a.queues:
            if name not in split_list(store.get(queue).value("pe_list")):
                ge.qconf("-aattr", "queue", "pe_list", name, queue)
            progress(f"{queue}: pe_list has {name}")
        return f"{done}; on {plural(len(a.queues), 'queue')}"

    return Step("parallel", "Create or check a parallel environment", shows, run)


def submit_hosts_step(ge: GridEngine, a: Answers) -> Step:
    shows = [
        "qconf -as HOST   for each execution host that is neither admin nor submit host",
        "  (the migrate hook of a same-CPU job runs qstat and qalter there)",
    ]

    def run(progress: Progress) -> str:
        listed = admin_or_submit_hosts(ge)
        added = [h for h in hosts_of_queues(ge, a.queues) if h not in listed]
        for host in added:
            ge.qconf("-as", host)
            progress(f"{host} is now a submit host")
        return (
            f"added {plural(len(added), 'submit host')}"
            if added
            else "every host is already an admin or submit host"
        )

    return Step("hosts", "Let hosts pin same-CPU restarts", shows, run)


def smoke_step(ge: GridEngine, a: Answers) -> Step:
    env, queue = a.env_names()[0], a.queues[0]
    return Step(
        "smoke",
        "Smoke test: checkpoint, migrate, restart",
        smoke_test.shows(a.hooks_dir, env, queue, a.job_user),
        lambda progress: smoke_test.run(ge, a.hooks_dir, env, queue, a.job_user, progress),
    )
