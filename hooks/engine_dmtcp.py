"""DMTCP engine: a coordinator per job, images into the task directory, generations by hard link.

Works with DMTCP 2.x to 5.x: `dmtcp_checkpoint` became `dmtcp_launch` in 2.0 and
DMTCP_COORD_HOST/PORT replaced DMTCP_HOST/PORT, so names are chosen at run time. Completion
of a checkpoint is confirmed here (a newer restart script and no *.temp image), because
`dmtcp_command -bc` returns before the images are written on DMTCP 3.1 to 4.2.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import socket
import subprocess
import time

from . import layout, safe, taskdir
from .errors import EngineError
from .events import Events, update_manifest
from .jobinfo import Job, Options

SEARCH = ("/opt/dmtcp/bin",)
# DMTCP's own failures must not exit 99 (Grid Engine would requeue the job, for ever if the
# failure stays); a restore that fails this way or by a signal is seen by watch.py.
FAIL_RC = 97
_FILES = re.compile(r'^given_ckpt_files="([^"]*)"', re.M)


class Dmtcp:
    def __init__(self, bindir: str) -> None:
        self.bindir = bindir
        self.launch = self._first("dmtcp_launch", "dmtcp_checkpoint")
        self.coordinator = self._first("dmtcp_coordinator")
        self.command = self._first("dmtcp_command")
        self.restart = self._first("dmtcp_restart")

    def _first(self, *names: str) -> str:
        for name in names:
            path = os.path.join(self.bindir, name)
            if os.access(path, os.X_OK):
                return path
        raise EngineError(f"{names[0]} missing in {self.bindir}")

    def ask_version(self) -> subprocess.Popen | None:
        """`dmtcp_launch --version`, started: its answer is read with version() once
        something else is done (~12 ms a start does not wait for)."""
        try:
            return subprocess.Popen(
                [self.launch, "--version"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
        except OSError:
            return None

    def version(self, asked: subprocess.Popen | None = None) -> str:
        asked = asked or self.ask_version()
        if asked is None:
            return "unknown"
        try:
            out, _ = asked.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            asked.kill()
            asked.wait()
            return "unknown"
        match = re.search(r"\(DMTCP\)\s+(\S+)", out or "")
        return match.group(1) if match else "unknown"


def find(path: str | None = None) -> Dmtcp:
    """DMTCP on PATH, else under /opt/dmtcp; a clear error when it is absent."""
    for folder in [*(path or os.environ.get("PATH", "")).split(os.pathsep), *SEARCH]:
        if folder and (
            os.access(os.path.join(folder, "dmtcp_launch"), os.X_OK)
            or os.access(os.path.join(folder, "dmtcp_checkpoint"), os.X_OK)
        ):
            return Dmtcp(folder)
    raise EngineError(
        f"DMTCP not found on PATH or under /opt/dmtcp on {socket.gethostname()}:"
        " install it on every execution host"
    )


def installed(path: str | None = None) -> bool:
    """Whether find() finds DMTCP here."""
    try:
        find(path)
    except EngineError:
        return False
    return True


def folders(job: Job) -> tuple[str, str]:
    """dmtcp/images and dmtcp/tmp, the owner's alone (0700): images hold the job's memory."""
    base = taskdir.private_dir(job.task_dir, layout.DMTCP)
    return taskdir.private_dir(base, "images"), taskdir.private_dir(base, "tmp")


# DMTCP's coordinator has no authentication and listens on every interface: whoever knows
# its port can checkpoint, kill or join the job. The port is kept in this file (0600, in the
# owner's 0700 dmtcp/) and nowhere else in ckpt_dir: not in the manifest, not in events.
PORT_FILE = "coordinator.json"
STARTING = "STARTING"  # the manifest's coordinator state until watch.py saw the job run


def command_of(dm: Dmtcp, coordinator: dict) -> list[str]:
    """dmtcp_command for the job's coordinator."""
    return [dm.command, "-h", str(coordinator.get("host")), "-p", str(coordinator.get("port"))]


def coordinator_of(job: Job) -> dict:
    """{"host", "port"} of the job's coordinator, as the starter recorded it, or {}."""
    return layout.read_json(os.path.join(job.task_dir, layout.DMTCP, PORT_FILE)) or {}


def dmtcp_env(env: dict[str, str], host: str, port: int, tmp: str, images: str) -> dict[str, str]:
    return dict(
        env,
        DMTCP_COORD_HOST=host,
        DMTCP_COORD_PORT=str(port),
        DMTCP_HOST=host,  # DMTCP 2.x names
        DMTCP_PORT=str(port),
        DMTCP_TMPDIR=tmp,  # DMTCP's own logs stay inside the task directory
        DMTCP_CHECKPOINT_DIR=images,
        DMTCP_FAIL_RC=str(FAIL_RC),
    )


# DMTCP compresses each image by piping it through `gzip -1 -` and DMTCP_GZIP=0 turns that
# off (src/ckptserializer.cpp); a restart reads either kind. No other compressor can be put
# in its place reliably: DMTCP runs the first `gzip` on the checkpointed process's own PATH,
# and the login shell Grid Engine starts a job script with (`sh -l`) sets PATH afresh from
# /etc/profile (seen: a pigz put first on the launch's PATH was never used).


def compression(env: dict[str, str], compress: str) -> dict[str, str]:
    """The launch's (or restart's) environment for the compression the environment chose;
    with gzip, DMTCP's default, a job's own DMTCP_GZIP stays as the job has it."""
    return dict(env, DMTCP_GZIP="0") if compress == "none" else env


def start_coordinator(
    dm: Dmtcp, job: Job, images: str, tmp: str, events: Events
) -> tuple[str, int]:
    """A coordinator for this job only, on a free port (written to a port file first, in
    the owner's private dmtcp/tmp)."""
    port_file = os.path.join(tmp, "coordinator.port")
    if os.path.lexists(port_file):
        os.unlink(port_file)
    log = os.path.join(tmp, "coordinator.out")
    args = [
        dm.coordinator,
        "--port",
        "0",
        "--port-file",
        port_file,
        "--ckptdir",
        images,
        "--exit-on-last",
        "--daemon",
        "--tmpdir",
        tmp,
    ]
    out = safe.open_regular(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, owner=os.geteuid())
    try:
        # its log goes to $TMPDIR/dmtcp-USER@HOST whatever --tmpdir says (4.2): not the job's
        env = dict(os.environ, TMPDIR=tmp)
        subprocess.run(
            args, stdin=subprocess.DEVNULL, stdout=out, stderr=out, cwd=images, timeout=30, env=env
        )
    finally:
        os.close(out)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        data = safe.read_head(port_file, 64)
        text = (data or b"").decode(errors="replace").strip()
        if text.isdigit():
            port = int(text)
            events.detail(f"coordinator on port {port} (log {log})")
            return socket.gethostname(), port
        time.sleep(0.05)
    raise EngineError(f"dmtcp_coordinator wrote no port file; see {log}")


def restart_files(script: str, folder: str) -> list[str]:
    """Images named in a restart script, found in `folder`. Never a glob or the newest file:
    short-lived children leave stale images of earlier generations beside the real ones."""
    text = (safe.read_head(script, safe.JSON_CAP) or b"").decode(errors="replace")
    match = _FILES.search(text)
    if not match:
        raise EngineError(f"{script} names no images (given_ckpt_files)")
    names = [os.path.basename(p) for p in match.group(1).split()]
    paths = [os.path.join(folder, n) for n in names]
    missing = [p for p in paths if not os.path.isfile(p)]
    if not names or missing:
        raise EngineError(f"images missing from {folder}: {', '.join(missing) or 'none listed'}")
    return paths


def refuse_hosts(hosts: list[str]) -> None:
    """EngineError for a run on several hosts: DMTCP (4.2.0 and its master branch alike)
    hangs checkpoints of processes that talk TCP across hosts. At a checkpoint each process
    drains its sockets until it reads the peer's drain cookie, checking only every 100 ms
    (kernelbufferdrainer.cpp); the barrier after the drain ("Socket::Drain") is local to
    each host, so a peer on another host that finished first sends its handshake at once,
    it lands behind the cookie (the drain buffer then holds 17 + 112 = 129 bytes and does
    not end with the cookie), and the drain never ends: "Still draining socket...
    buffer.size() = 129", the whole job frozen. Processes on one host share that barrier
    and never race."""
    if len(hosts) > 1:
        raise EngineError(
            f"this run of the parallel job has slots on {len(hosts)} hosts ({' '.join(hosts)}):"
            " DMTCP cannot checkpoint processes that talk across hosts (its socket drain"
            " hangs the job); give the PE allocation_rule $pe_slots, or use a signal-engine"
            " environment"
        )


def prepare(
    job: Job,
    events: Events,
    generation: str | None,
    filename: str,
    job_argv: list[str],
    env: dict[str, str],
    compress: str = "gzip",
) -> tuple[str, list[str], dict[str, str]]:
    """The launch (or restart) command for the job, with its coordinator running."""
    dm = find(env.get("PATH"))
    images, tmp = folders(job)
    asked = dm.ask_version()
    host, port = start_coordinator(dm, job, images, tmp, events)
    version = dm.version(asked)
    layout.write_json_atomic(
        os.path.join(job.task_dir, layout.DMTCP, PORT_FILE), {"host": host, "port": port}, 0o600
    )
    gen = os.path.basename(generation) if generation else None
    update_manifest(
        job, coordinator={"host": host, "dmtcp": version, "gen": gen, "state": STARTING}
    )
    env = compression(dmtcp_env(env, host, port, tmp, images), compress)
    common = ["-h", host, "-p", str(port), "--ckptdir", images]
    if generation is not None:
        files = restart_files(os.path.join(generation, "restart_script.sh"), generation)
        events.event("restart", gen=os.path.basename(generation), engine="dmtcp", dmtcp=version)
        return dm.restart, [dm.restart, *common, *files], env
    command = [own_script(job, a) for a in [filename, *job_argv[1:]]]
    if job_argv[0].startswith("-"):  # a login shell: dmtcp_launch cannot pass argv[0]
        command.insert(1, "-l")
    reopen_stdin(job)
    events.event("start", engine="dmtcp", dmtcp=version)
    return dm.launch, [dm.launch, *common, *command], env


def own_script(job: Job, arg: str) -> str:
    """The job script's spool path names this host: a restart elsewhere needs a copy of it
    in the task directory (the job's shell keeps it open, and DMTCP restores that)."""
    script = job.config.get("script_file")
    if not script or arg != script or job.config.get("handle_as_binary") == "1":
        return arg
    copy = os.path.join(job.task_dir, layout.DMTCP, "job-script")
    if os.path.lexists(copy):
        os.unlink(copy)
    shutil.copyfile(script, copy)  # a new file in the owner's private dmtcp/
    os.chmod(copy, 0o700)
    return copy


def reopen_stdin(job: Job) -> None:
    """script_from_stdin: the shell reads the script on stdin; give it the copy instead."""
    copy = os.path.join(job.task_dir, layout.DMTCP, "job-script")
    script = job.config.get("script_file")
    if script and os.path.realpath("/proc/self/fd/0") == os.path.realpath(script):
        own_script(job, script)
        fd = os.open(copy, os.O_RDONLY)
        os.dup2(fd, 0)
        os.close(fd)


def newest_script(images: str) -> str | None:
    scripts = [p for p in glob.glob(os.path.join(images, "dmtcp_restart_script_*.sh"))]
    return max(scripts, key=os.path.getmtime) if scripts else None


def image_inodes(images: str) -> dict[str, int]:
    """Each image's inode: DMTCP writes an image as .dmtcp.temp and renames it, so a new
    checkpoint gives every image a new inode."""
    found = {}
    for path in glob.glob(os.path.join(images, "*.dmtcp")):
        with contextlib.suppress(OSError):
            found[os.path.basename(path)] = os.lstat(path).st_ino
    return found


def wait_complete(images: str, before: dict[str, int], deadline: float) -> str:
    """The restart script once every image it names is new (not one of `before`, the
    inodes before the request) and none is still being written. Not the script's mtime or
    text: its ckpt_timestamp has whole seconds, and a checkpoint taken within a second of
    the last once passed for complete and linked the old images."""
    while time.monotonic() < deadline:
        script = newest_script(images)
        if script and not glob.glob(os.path.join(images, "*.temp")):
            try:
                files = restart_files(script, images)
            except (EngineError, OSError):
                files = []  # being written
            now = image_inodes(images)
            names = [os.path.basename(f) for f in files]
            if names and all(n in now and now[n] != before.get(n) for n in names):
                return script
        time.sleep(0.01)
    raise EngineError("DMTCP did not finish the checkpoint before the timeout")


def add_images(files: list[str], script: str, partial: str) -> None:
    """A checkpoint's images, their saved files and its restart script into the
    generation being written."""
    for path in files:
        link_or_copy(path, os.path.join(partial, os.path.basename(path)))
        extra = path[: -len(".dmtcp")] + "_files"
        if os.path.isdir(extra):
            # copied, never linked: DMTCP 5.0 rewrites the files there (fd-info.txt) in
            # place at the next checkpoint, which would change this generation's copy
            # too, and the restart check would then refuse it as changed since it was taken
            shutil.copytree(extra, os.path.join(partial, os.path.basename(extra)), symlinks=True)
    shutil.copyfile(script, os.path.join(partial, "restart_script.sh"))


def link_or_copy(source: str, target: str) -> None:
    """An image into a generation: a hard link where it can be (DMTCP writes each image as
    .dmtcp.temp and renames it over the last, so the next checkpoint never touches this
    one's inode), else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def request(command: list[str], deadline: float) -> None:
    """`dmtcp_command -bc`, asked again while the coordinator is still finishing the last
    checkpoint (it refuses with "computation not in running state" until the processes
    have resumed: a migration that follows a periodic checkpoint would fail otherwise)."""
    while True:
        left = max(1.0, deadline - time.monotonic())
        result = subprocess.run([*command, "-bc"], capture_output=True, text=True, timeout=left)
        said = " ".join((result.stderr or result.stdout).split())
        if result.returncode == 0:
            return
        if "not in running state" not in said or time.monotonic() >= deadline:
            raise EngineError(f"dmtcp_command -bc failed ({result.returncode}): {said[-300:]}")
        time.sleep(0.1)


def end_job(job: Job) -> None:
    """A migration ends the job once its generation is taken: the coordinator kills it."""
    subprocess.run(
        [*command_of(find(), coordinator_of(job)), "-k"], capture_output=True, timeout=60
    )


def take(verb: str, job: Job, opts: Options, partial: str, events: Events | None = None) -> dict:
    coordinator = coordinator_of(job)
    if not str(coordinator.get("port", "")).isdigit():
        raise EngineError("no DMTCP coordinator recorded for the job: was it started by qckpt?")
    manifest = layout.read_json(os.path.join(job.task_dir, layout.MANIFEST)) or {}
    if (manifest.get("coordinator") or {}).get("state") == STARTING:
        # a checkpoint request would wait for the whole restore, one more every interval
        raise EngineError("the job is still being started or restored: nothing to checkpoint")
    dm = find()
    images = os.path.join(job.task_dir, layout.DMTCP, "images")
    before = image_inodes(images)
    deadline = time.monotonic() + opts.timeout
    command = command_of(dm, coordinator)
    request(command, deadline)
    asked = time.monotonic()
    script = wait_complete(images, before, deadline)
    # the job is stopped from the request until its images are written (DMTCP 5.0's -bc
    # returns once it has resumed, 3.1 to 4.2's at once: then until the images are complete)
    stopped = time.monotonic() - (deadline - opts.timeout)
    files = restart_files(script, images)
    if events is not None:
        took = asked - (deadline - opts.timeout)
        waited = time.monotonic() - asked
        events.detail(f"dmtcp_command -bc took {took:.3f} s; complete {waited:.3f} s later")
    add_images(files, script, partial)
    version = (manifest.get("coordinator") or {}).get("dmtcp")
    return {
        "files": [os.path.basename(p) for p in files],
        "dmtcp": version,
        "stopped": round(stopped, 3),
    }
