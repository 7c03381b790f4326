"""A private single-node Grid Engine cell for trying and testing qckpt.

Its own cell name, spool and ports under Debian's SGE_ROOT; never the system's `default`
cell. Daemons are started directly (init scripts are refused in containers) and stopped
by the pids they wrote.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass

from qckpt.backend.errors import GridEngineError, QckptError
from qckpt.backend.gridengine.configuration import set_global
from qckpt.backend.gridengine.formats import format_fields, parse_fields
from qckpt.backend.gridengine.queues import QueueStore
from qckpt.backend.gridengine.runner import GridEngine
from qckpt.backend.sandbox import hosts

PACKAGES = ("gridengine-master", "gridengine-exec", "gridengine-client")
SPOOLINIT = "/usr/lib/gridengine/spoolinit"
SPOOLDEFAULTS = "/usr/lib/gridengine/spooldefaults"
QMASTER = "/usr/sbin/sge_qmaster"
EXECD = "/usr/sbin/sge_execd"
DEFAULT_CONFIGURATION = "/usr/share/gridengine/default-configuration"
CENTRY = "/usr/share/gridengine/util/resources/centry"
USERSETS = "/usr/share/gridengine/util/resources/usersets"


class SandboxError(QckptError):
    pass


@dataclass(frozen=True)
class Sandbox:
    root: str = "/var/lib/gridengine"
    cell: str = "qckpt"
    qmaster_port: int = 16444
    execd_port: int = 16445
    admin: str = "sgeadmin"
    user: str = "qckptjob"
    spool_base: str = "/var/spool/qckpt-sandbox"

    @classmethod
    def from_environment(cls) -> Sandbox:
        """Defaults, overridable for a second sandbox (QCKPT_SANDBOX_CELL, _PORT, _USER)."""
        cell = os.environ.get("QCKPT_SANDBOX_CELL", cls.cell)
        port = int(os.environ.get("QCKPT_SANDBOX_PORT", cls.qmaster_port))
        user = os.environ.get("QCKPT_SANDBOX_USER", cls.user)
        return cls(cell=cell, qmaster_port=port, execd_port=port + 1, user=user)

    # -- where things are ------------------------------------------------------------
    @property
    def spool(self) -> str:
        return os.path.join(self.spool_base, self.cell)

    @property
    def common(self) -> str:
        return os.path.join(self.root, self.cell, "common")

    @property
    def host(self) -> str:
        return socket.gethostname()

    @property
    def ckpt_dir(self) -> str:
        return os.path.join(self.spool, "ckpt")

    @property
    def hooks_dir(self) -> str:
        return os.path.join(self.spool, "hooks")

    def env(self) -> dict[str, str]:
        return {
            "SGE_ROOT": self.root,
            "SGE_CELL": self.cell,
            "SGE_QMASTER_PORT": str(self.qmaster_port),
            "SGE_EXECD_PORT": str(self.execd_port),
        }

    def export_lines(self) -> str:
        pairs = {**self.env(), "QCKPT_SANDBOX_USER": self.user}
        return "".join(f"export {k}={v}\n" for k, v in pairs.items())

    def ge(self, timeout: float = 30.0) -> GridEngine:
        return GridEngine(env=self.env(), timeout=timeout)

    # -- what runs -------------------------------------------------------------------
    def qmaster_pid(self) -> int | None:
        return _daemon_pid(os.path.join(self.spool, "qmaster", "qmaster.pid"), self.cell)

    def execds(self) -> dict[str, int]:
        """Execution host name -> its running sge_execd's pid."""
        found = {}
        for path in sorted(glob.glob(os.path.join(self.spool, "execd", "*", "execd.pid"))):
            pid = _daemon_pid(path, self.cell)
            if pid is not None:
                found[os.path.basename(os.path.dirname(path))] = pid
        return found

    def execd_pids(self) -> list[int]:
        return list(self.execds().values())

    def execd_hosts(self) -> dict[str, int | None]:
        """Every execution host this cell has started (one execd spool each; the main
        host's is named localhost) -> its running sge_execd's pid, or None when stopped."""
        running = self.execds()
        found: dict[str, int | None] = {}
        for path in sorted(glob.glob(os.path.join(self.spool, "execd", "*"))):
            name = os.path.basename(path)
            if os.path.isdir(path):
                found[self.host if name == "localhost" else name] = running.get(name)
        return found

    def answers(self) -> bool:
        try:
            self.ge(timeout=10).qconf("-sss")
            return True
        except GridEngineError:
            return False

    def status(self) -> tuple[bool, list[str]]:
        qmaster = self.qmaster_pid()
        answers = qmaster is not None and self.answers()
        lines = [
            f"cell {self.cell} under {self.root}, qmaster port {self.qmaster_port},"
            f" execd port {self.execd_port}",
            f"sge_qmaster: {f'running, pid {qmaster}' if qmaster else 'not running'}",
            *self.execd_lines(),
            f"answers: {'yes' if answers else 'no'}",
            f"job user: {self.user}",
        ]
        return answers, lines

    def execd_lines(self) -> list[str]:
        """One line per execution host: its sge_execd running (pid) or stopped, and how to
        start a stopped one."""
        hosts = self.execd_hosts()
        if not hosts:
            return ["sge_execd: not running on any host"]
        start = f"qckpt sandbox up --hosts {len(hosts)} starts it"
        return [
            f"sge_execd on {host}: " + (f"running, pid {pid}" if pid else f"stopped ({start})")
            for host, pid in hosts.items()
        ]

    # -- up / down -------------------------------------------------------------------
    def extra_hosts(self, count: int) -> list[hosts.ExtraHost]:
        return hosts.hosts_for(self.cell, self.qmaster_port, count)

    def up(self, log=print, hosts: int = 1) -> None:
        """Start the cell with at least `hosts` execution hosts, and every host it had
        before: a stopped extra host is started again (`qckpt sandbox up` after a down)."""
        hosts = max(hosts, len(self.execd_hosts()))
        extra = self.extra_hosts(hosts)
        if self.qmaster_pid() and self._main_execd() and self.answers():
            log(f"sandbox cell {self.cell} is already running")
            self._configure(log)
            self._start_extra_hosts(extra, log)
            return
        if os.geteuid() != 0:
            raise SandboxError("qckpt sandbox up must run as root (it installs and starts daemons)")
        self._install_packages(log)
        self._ensure_job_user(log)
        if not os.path.exists(os.path.join(self.common, "bootstrap")):
            self._create_cell(log)
        self._write_host_files()
        if not self.qmaster_pid():
            log(f"starting sge_qmaster on port {self.qmaster_port}")
            self.ge().start_daemon(QMASTER)
        self._wait(self.answers, "sge_qmaster to answer", 60)
        self._configure(log)
        if not self._main_execd():
            log(f"starting sge_execd on port {self.execd_port}")
            self.ge().start_daemon(EXECD)
        self._wait(self._host_reports_load, f"sge_execd on {self.host} to report", 90)
        self._start_extra_hosts(extra, log)
        log(f'sandbox cell {self.cell} is up: eval "$(qckpt sandbox env)" to use it')

    def _start_extra_hosts(self, extra: list[hosts.ExtraHost], log) -> None:
        """Each extra execution host: its namespace, admin and submit host (the migrate hook
        calls qstat/qalter), in all.q, and its execd reporting."""
        if not extra:
            return
        ge = self.ge()
        for host in extra:
            hosts.create(host, self.host)
            for option, listing in (("-as", "-ss"), ("-ah", "-sh")):
                if host.name not in ge.qconf(listing, check=False).stdout.split():
                    ge.qconf(option, host.name)
            hostlist = ge.qconf("-sq", "all.q", check=False).stdout
            if f" {host.name}" not in hostlist and "all.q" in ge.qconf("-sql").stdout.split():
                ge.qconf("-aattr", "queue", "hostlist", host.name, "all.q")
            if self._own_gid_range(ge, host) and self._execd_on(host.name):
                _stop(self._execd_on(host.name))  # it reads its configuration at start
            if not self._execd_on(host.name):
                log(f"starting sge_execd on {host.name} ({host.addresses[1]}, netns {host.netns})")
                ge.run(hosts.in_host(host, [EXECD]))
        for host in extra:
            self._wait(lambda h=host.name: self._host_reports_load(h), f"{host.name} to report", 90)

    def _own_gid_range(self, ge: GridEngine, host: hosts.ExtraHost) -> bool:
        """Hosts sharing one kernel must not share gid_range: an execd finds a job's
        processes by their additional group id, and killed the other host's job that had the
        same one (seen: exit 137 at once). Returns whether the configuration changed."""
        wanted = f"gid_range {host.gid_range}"
        current = ge.qconf("-sconf", host.name, check=False)
        if current.returncode == 0 and wanted.split() in [
            ln.split() for ln in current.stdout.splitlines()
        ]:
            return False
        option = "-Mconf" if current.returncode == 0 else "-Aconf"
        ge.qconf_file(option, wanted + "\n", name=host.name)
        return True

    def _main_execd(self) -> int | None:
        """This machine's own execd: the one not on an extra host (Grid Engine names its
        spool directory `localhost` when this machine's name resolves to 127.0.0.1)."""
        extra = {h.name for h in self.extra_hosts(hosts.MAX_HOSTS)}
        return next((pid for name, pid in self.execds().items() if name not in extra), None)

    def _execd_on(self, name: str) -> int | None:
        return _daemon_pid(os.path.join(self.spool, "execd", name, "execd.pid"), self.cell)

    def down(self, log=print) -> None:
        pids = self.execd_pids() + ([self.qmaster_pid()] if self.qmaster_pid() else [])
        if not pids:
            log(f"sandbox cell {self.cell}: nothing running")
            return
        for pid in pids:
            _stop(pid)
        log(f"sandbox cell {self.cell}: stopped {', '.join(str(p) for p in pids)}")

    def remove(self, log=print) -> None:
        """Delete the cell (jobs, configuration, spool, ckpt_dir, hooks): the next `up`
        creates it afresh, with job numbers from 1 again."""
        if self.cell == "default" or not self.cell.isidentifier():
            raise SandboxError(f"refusing to remove cell {self.cell!r}")
        if self.qmaster_pid() and self.answers():
            ge = self.ge()
            ge.run(["qdel", "-f", "-u", "*"], check=False)
            self._wait(lambda: not ge.qstat("-u", "*").stdout.strip(), "jobs to leave", 60)
        # The execution daemons first (each tells the qmaster it goes); the qmaster takes
        # 5 s to shut down cleanly, for a spool deleted a moment later: killed.
        _stop(*self.execd_pids())
        if self.qmaster_pid():
            _stop(self.qmaster_pid(), seconds=0)
        log(f"sandbox cell {self.cell}: stopped")
        for host in self.extra_hosts(hosts.MAX_HOSTS):
            hosts.remove(host)
        for path in (os.path.join(self.root, self.cell), self.spool):
            shutil.rmtree(path, ignore_errors=True)
        log(f"sandbox cell {self.cell}: removed")

    def stop_qmaster(self) -> None:
        pid = self.qmaster_pid()
        if pid:
            _stop(pid)

    # -- steps -----------------------------------------------------------------------
    def _install_packages(self, log) -> None:
        if os.path.exists(QMASTER) and os.path.exists(EXECD) and shutil.which("qconf"):
            return
        log("installing " + " ".join(PACKAGES))
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for args in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *PACKAGES]):
            proc = subprocess.run(args, env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                raise SandboxError(f"{' '.join(args)} failed: {proc.stderr.strip()[-300:]}")

    def _ensure_job_user(self, log) -> None:
        try:
            entry = pwd.getpwnam(self.user)
        except KeyError:
            log(f"creating job user {self.user}")
            subprocess.run(
                [
                    "useradd",
                    "--create-home",
                    "--shell",
                    "/bin/bash",
                    "-K",
                    "UID_MIN=1000",
                    self.user,
                ],
                check=True,
            )
            entry = pwd.getpwnam(self.user)
        if entry.pw_uid < 1000:
            raise SandboxError(
                f"job user {self.user} has uid {entry.pw_uid}; Grid Engine needs >= 1000"
            )

    def _create_cell(self, log) -> None:
        log(f"creating cell {self.cell} (spool {self.spool})")
        admin = pwd.getpwnam(self.admin)
        for path in (
            self.common,
            os.path.join(self.spool, "qmaster", "job_scripts"),
            os.path.join(self.spool, "spooldb"),
            os.path.join(self.spool, "execd"),
        ):
            os.makedirs(path, exist_ok=True)
        for path in (os.path.join(self.root, self.cell), self.spool):
            for dirpath, _dirs, _files in os.walk(path):
                os.chown(dirpath, admin.pw_uid, admin.pw_gid)
        bootstrap = [
            ("admin_user", self.admin),
            ("default_domain", "none"),
            ("ignore_fqdn", "false"),
            ("spooling_method", "berkeleydb"),
            ("spooling_lib", "libspoolb"),
            ("spooling_params", os.path.join(self.spool, "spooldb")),
            ("binary_path", "/usr/sbin"),
            ("qmaster_spool_dir", os.path.join(self.spool, "qmaster")),
            ("security_mode", "none"),
            ("listener_threads", "2"),
            ("worker_threads", "2"),
            ("scheduler_threads", "1"),
        ]
        self._write_admin_file(os.path.join(self.common, "bootstrap"), format_fields(bootstrap, 24))
        with open(DEFAULT_CONFIGURATION) as handle:
            conf = handle.read().replace(
                "/var/spool/gridengine/execd", os.path.join(self.spool, "execd")
            )
        conf_path = os.path.join(self.spool, "global.conf")
        self._write_admin_file(conf_path, conf)
        ge = self.ge()
        spooldb = os.path.join(self.spool, "spooldb")
        ge.run([SPOOLINIT, "berkeleydb", "libspoolb", spooldb, "init"], user=self.admin)
        ge.run([SPOOLDEFAULTS, "configuration", conf_path], user=self.admin)
        ge.run([SPOOLDEFAULTS, "complexes", CENTRY], user=self.admin)
        ge.run([SPOOLDEFAULTS, "usersets", USERSETS], user=self.admin)
        for manager in (self.admin, "root"):
            ge.run([SPOOLDEFAULTS, "managers", manager], user=self.admin)
        settings = "".join(f"{k}={v}; export {k}\n" for k, v in self.env().items())
        self._write_admin_file(os.path.join(self.common, "settings.sh"), settings)

    def _write_host_files(self) -> None:
        host = self.host
        self._write_admin_file(os.path.join(self.common, "act_qmaster"), host + "\n")
        try:
            same = socket.gethostbyname(host) == socket.gethostbyname("localhost")
        except OSError:
            same = False
        # Both on 127.0.0.1: without the alias qmaster refuses every client with "access
        # denied (client IP resolved to host name "localhost". This is not identical to
        # clients host name ...)".
        if same:
            self._write_admin_file(os.path.join(self.common, "host_aliases"), f"{host} localhost\n")

    def _configure(self, log) -> None:
        ge = self.ge()
        host = self.host
        if host not in ge.qconf("-ss", check=False).stdout.split():
            ge.qconf("-as", host)
        if host not in ge.qconf("-sh").stdout.split():
            ge.qconf("-ah", host)
        self._fast_scheduler(ge)
        self._fast_load_reports(ge)
        if "all.q" not in ge.qconf("-sql", check=False).stdout.split():
            log("adding queue all.q")
            self.add_queue("all.q", host)

    def _fast_scheduler(self, ge: GridEngine) -> None:
        """A sandbox schedules every 2 s instead of 15 s, so trying and testing is quick."""
        pairs = parse_fields(ge.qconf("-ssconf").stdout)
        wanted = {"schedule_interval": "0:0:2", "flush_submit_sec": "1", "flush_finish_sec": "1"}
        if all(dict(pairs).get(k) == v for k, v in wanted.items()):
            return
        pairs = [(k, wanted.get(k, v)) for k, v in pairs]
        ge.qconf_file("-Msconf", format_fields(pairs, 34))

    def _fast_load_reports(self, ge: GridEngine) -> None:
        """execd reports every 5 s instead of 40 s (a restarted qmaster sees hosts quickly);
        accounting is flushed every second (qacct shows a finished job at once)."""
        wanted = {
            "load_report_time": "00:00:05",
            "reporting_params": "accounting=true reporting=false flush_time=00:00:01"
            " joblog=false sharelog=00:00:00",
        }
        set_global(ge, wanted)

    def add_queue(self, name: str, host: str | None = None) -> None:
        """Add a batch queue on this host (or hosts) with Grid Engine's usual defaults."""
        QueueStore(self.ge()).create(name, host or self.host)

    def _write_admin_file(self, path: str, text: str) -> None:
        admin = pwd.getpwnam(self.admin)
        with open(path, "w") as handle:
            handle.write(text)
        os.chown(path, admin.pw_uid, admin.pw_gid)
        os.chmod(path, 0o644)

    def _host_reports_load(self, host: str | None = None) -> bool:
        host = host or self.host
        try:
            out = self.ge(timeout=10).run(["qhost", "-h", host]).stdout
        except GridEngineError:
            return False
        for line in out.splitlines():
            parts = line.split()
            if parts and parts[0] == host:
                return len(parts) > 6 and parts[6] != "-"
        return False

    @staticmethod
    def _wait(check, what: str, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.5)
        raise SandboxError(f"timed out after {seconds:g} s waiting for {what}")


def _daemon_pid(pid_file: str, cell: str) -> int | None:
    """The pid in pid_file if that process is alive and is a daemon of this cell."""
    try:
        with open(pid_file) as handle:
            pid = int(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    try:
        with open(f"/proc/{pid}/stat") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            program = os.path.basename(handle.read().split(b"\0")[0]).decode()
    except OSError:
        return None
    if state == "Z" or program not in ("sge_qmaster", "sge_execd"):
        return None
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            environ = handle.read().split(b"\0")
    except PermissionError:
        return pid  # not root: the pid file in this cell's own spool is what we have
    except OSError:
        return None
    return pid if f"SGE_CELL={cell}".encode() in environ else None


def _stop(*pids: int, seconds: float = 20.0) -> None:
    """SIGTERM to each, then wait for all of them; SIGKILL to any left after `seconds`,
    and wait until they are gone."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM if seconds else signal.SIGKILL)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(_alive(pid) for pid in pids):
            return
        time.sleep(0.1)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for _ in range(50):
        if not any(_alive(pid) for pid in pids):
            return
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
