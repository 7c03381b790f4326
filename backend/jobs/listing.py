"""Checkpointed jobs: Grid Engine's view (one `qstat -u '*' -r`) joined with the hooks'
manifests in ckpt_dir (generations, sizes, restarts, last error). qstat runs a constant
number of times per listing, never once per job."""

from __future__ import annotations

import hashlib
import os
import pwd
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

from qckpt.backend.gridengine.checkpoint import CheckpointEnv
from qckpt.backend.gridengine.envs import EnvStore
from qckpt.backend.gridengine.formats import parse_xml
from qckpt.backend.gridengine.runner import GridEngine
from qckpt.backend.report.figures import figures
from qckpt.hooks import errors, layout, safe, taskdir

clock = time.time  # what "age" is measured against (screenshots fix it)
# 50,000 jobs are 50,000 of each dataclass below: without an instance dict each is ~70 bytes
# smaller (dataclass slots are Python 3.10's; on 3.9 the same classes, with a dict)
SLOTS = {"slots": True} if sys.version_info >= (3, 10) else {}


@dataclass(**SLOTS)
class QstatJob:
    """One line of `qstat -r` (a job, an array task, or a pending range of tasks)."""

    job_id: str
    name: str
    owner: str
    state: str
    since: str
    queue: str = ""
    slots: str = "1"
    task: str = ""  # its ja-task-ID: a number, a pending range (1-10:1), or none
    env: str = ""

    @property
    def key(self) -> str:
        return f"{self.job_id}.{self.task}" if self.task else self.job_id


FULL_NAME = "       Full jobname:"
CKPT_ENV = "       Checkpoint Env.:"


# a line of a job, or a newline before a header line, begins a block; its detail lines
# (7 spaces in) belong to it
BLOCK = re.compile(r"\n(?! {7})")


def parse_qstat_r(text: str) -> list[QstatJob]:
    """Parse `qstat -u '*' -r` text (pure; tested on captured output)."""
    seen: dict[str, str] = {}  # one string for each owner, state, queue, time: not 50,000
    return [job for block in BLOCK.split(text) if (job := parse_block(block, seen))]


def parse_block(block: str, seen: dict[str, str]) -> QstatJob | None:
    """One job's lines of `qstat -r`: its job line, with its id right-aligned in the first
    7 columns, and its detail lines, indented 7 spaces, two of which matter here. Plain
    string tests: 50,000 jobs are 300,000 lines. None for the header and its rule."""
    one = seen.setdefault
    lines = block.split("\n")
    parts = lines[0].split()
    if len(parts) < 7 or not parts[0].isdigit() or lines[0].startswith("       "):
        return None
    rest = parts[7:]
    queue = rest.pop(0) if rest and "@" in rest[0] else ""
    slots = rest.pop(0) if rest else "1"
    since = f"{parts[5]} {parts[6]}"
    job = QstatJob(
        parts[0],
        parts[2],
        one(parts[3], parts[3]),
        one(parts[4], parts[4]),
        one(since, since),
        one(queue, queue),
        one(slots, slots),
        " ".join(rest),
    )
    for line in lines[1:]:
        if line.startswith(FULL_NAME):
            job.name = line[len(FULL_NAME) :].strip()
        elif line.startswith(CKPT_ENV):
            env = line[len(CKPT_ENV) :].strip()
            job.env = one(env, env)
    return job


# `qstat -j -xml`'s JB_checkpoint_attr is a bitmask of the job's `when` (-c): m=1 s=2 x=4
# n=8 r=16 (libs/sgeobj/sge_ckpt.h); the letters in the order Grid Engine writes `when`.
WHEN_BITS = (("x", 4), ("s", 2), ("m", 1), ("r", 16))
NEVER = 8
CHUNK = 500  # job ids per `qstat -j LIST -xml`


def when_from_attr(attr: int) -> str:
    if attr & NEVER:
        return "n"
    return "".join(letter for letter, bit in WHEN_BITS if attr & bit)


def parse_job_xml(text: str) -> dict[str, tuple[str, int]]:
    """`qstat -j LIST -xml`: job id -> (its own when, its qsub -c interval in seconds)."""
    found: dict[str, tuple[str, int]] = {}
    root = parse_xml(text)
    if root is None:
        return found
    for element in root.iter():
        number = element.find("JB_job_number")
        attr = element.find("JB_checkpoint_attr")
        if number is None or attr is None or not (attr.text or "").isdigit():
            continue
        interval = element.findtext("JB_checkpoint_interval") or "0"
        found[number.text or ""] = (
            when_from_attr(int(attr.text)),
            int(interval) if interval.isdigit() else 0,
        )
    return found


class ListingCache:
    """What a view keeps between refreshes. A job's when is copied at submit and never
    changes: asked once per job. The last listing's rows by the text of their job in it:
    a job whose lines say what they said last time (most of them, between two refreshes)
    is not parsed again, and its row, where it has no task directory then or now, is the
    same row; the others are joined with their manifests again. When the whole text is
    what it was, it is not even split."""

    def __init__(self) -> None:
        self.known: dict[str, tuple[str, int]] = {}
        self.last_digest: bytes | None = None  # of the text: 50,000 jobs are 12 MB of it
        self.last_state: tuple | None = None
        # hash of a job's lines -> its row (None: a job not listed), in the listing's order:
        # str hashes are keyed at random per process, so no job name can be made to collide
        self.blocks: dict[int, JobRow | None] = {}
        self.pending: list[str] = []  # ids the last listing had no when for, in lookup order
        self.last_dirs: dict[str, dict[str, list[str]]] = {}
        # the blocks whose rows change while the listing does not: those with the hooks'
        # files (their manifests) and those whose when is not known yet
        self.live: list[int] = []

    def same(self, text: str) -> bool:
        """Whether qstat said what it said last time (and remember what it said)."""
        digest = hashlib.blake2b(text.encode(errors="surrogateescape"), digest_size=16).digest()
        same, self.last_digest = digest == self.last_digest, digest
        return same

    def listing(self, ge: GridEngine, most: int | None) -> tuple[str, set[str]]:
        """`qstat -u '*' -r`'s text and the ids whose when was learned with it: at most
        `most` of those the last listing had none for, asked in a `qstat -j` of their own
        while qstat lists (Grid Engine answers both at once), so learning adds no time to
        a refresh that the listing does not take anyway."""
        if most is None or not self.pending:
            return ge.qstat("-u", "*", "-r").stdout, set()
        with ThreadPoolExecutor(max_workers=1) as pool:
            asked = pool.submit(self.learn, ge, self.pending[:most])
            text = ge.qstat("-u", "*", "-r").stdout
            return text, asked.result()

    def learn(self, ge: GridEngine, ids: list[str]) -> set[str]:
        """The own when of these jobs, CHUNK jobs per `qstat -j`; the ids learned."""
        learned: set[str] = set()
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            found = parse_job_xml(ge.qstat("-j", ",".join(chunk), "-xml", check=False).stdout)
            self.known.update(found)
            learned.update(found)
        return learned

    def unknown(self, rows: list[JobRow]) -> list[str]:
        """Ids of checkpointing jobs whose when is not known, running first (they are the
        ones that checkpoint), then the newest."""
        missing = {r.job_id for r in rows if r.env and r.job_id not in self.known}
        if not missing:
            return []
        running = {r.job_id for r in rows if "q" not in r.state}
        return sorted(missing, key=lambda job_id: (job_id not in running, -int(job_id)))


class EnvCache:
    """Checkpoint environments for a live view: they change rarely and cost one qconf each,
    so they are read again at most every `ttl` seconds (or when forced)."""

    def __init__(self, ttl: float = 60.0) -> None:
        self.ttl = ttl
        self.envs: list[CheckpointEnv] | None = None
        self.read_at = 0.0

    def get(self, ge: GridEngine, force: bool = False) -> list[CheckpointEnv]:
        if force or self.envs is None or time.monotonic() - self.read_at > self.ttl:
            self.envs = EnvStore(ge).list()
            self.read_at = time.monotonic()
        return self.envs


@dataclass(**SLOTS)
class JobRow:
    job_id: str
    task: str
    name: str
    owner: str
    state: str
    queue: str
    env: str
    when: str
    interval: int = 0  # qsub -c, seconds (0: the queue's min_cpu_interval)
    when_read: bool = True  # false: the job's own when not read yet, `when` is its env's
    last_checkpoint: str | None = None
    age_seconds: int | None = None
    generations: int = 0  # kept in ckpt_dir (the environment's --keep)
    checkpoints: int = 0  # taken so far: the newest generation's number (1, 2, ... per task)
    size: int = 0
    restarts: int = 0
    run: int = 0  # this run's number (a job longer than its time limit runs several)
    run_seconds: int | None = None  # time over all its runs
    left_seconds: int | None = None  # until this run is checkpointed at its time limit
    last_error: str | None = None
    stopped: float = 0.0  # seconds stopped for checkpoints, over all of them
    overhead: float | None = None  # that, as a share of the run time
    lost: float = 0.0  # seconds of work redone after restarts (see report.figures)
    problem: str | None = None  # why the hooks' files of this job cannot be shown
    task_dir: str | None = None
    manifest: dict = field(default_factory=dict, repr=False)

    @property
    def key(self) -> str:
        return f"{self.job_id}.{self.task}" if self.task else self.job_id

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("manifest")
        return data


def task_dir_name(job_id: str, task: str) -> str | None:
    """JOB.TASK, the hooks' directory of a job's task (JOB.1 for a job without tasks); a
    pending range of tasks has none yet."""
    task = task or "1"
    return f"{job_id}.{task}" if task.isdigit() else None


def age(stamp: str | None, now: float) -> int | None:
    then = layout.epoch(stamp)
    return None if then is None else max(0, int(now - then))


def task_dirs(ckpt_dir: str, cache: dict[str, dict[str, list[str]]]) -> dict[str, list[str]]:
    """JOB.TASK -> the live task directory names for it in a ckpt_dir (JOB.TASK and any
    JOB.TASK-xxxxxxxx), listed once per listing of jobs."""
    if ckpt_dir not in cache:
        found: dict[str, list[str]] = {}
        try:
            names = os.listdir(ckpt_dir)
        except OSError:
            names = []
        for name in names:
            if layout.is_live_task_dir_name(name):
                found.setdefault(name.partition("-")[0], []).append(name)
        cache[ckpt_dir] = found
    return cache[ckpt_dir]


def owner_uid(name: str, cache: dict[str, int | None] = {}) -> int | None:  # noqa: B006
    if name not in cache:
        try:
            cache[name] = pwd.getpwnam(name).pw_uid
        except KeyError:
            cache[name] = None
    return cache[name]


def owned_task_dir(ckpt_dir: str, names: list[str], owner: str) -> str | None:
    """Of the directories named for a task, the job owner's (the hooks' own rule): a
    directory anyone else made under the job's name is never read as the job's."""
    uid = owner_uid(owner)
    return taskdir.choose([f"{ckpt_dir}/{n}" for n in names], uid) if uid is not None else None


def join_manifest(
    row: JobRow,
    ckpt_dir: str | None,
    now: float,
    listed: dict[str, dict[str, list[str]]] | None = None,
) -> JobRow:
    """Add what the hooks know (manifest.json) to what Grid Engine knows, from the job
    owner's own task directory only, checked against the manifest's schema: a bad manifest
    marks its row (problem), never hides the others."""
    name = task_dir_name(row.job_id, row.task)
    if name is None or ckpt_dir is None:
        return row
    ckpt_dir = ckpt_dir.rstrip("/")  # no os.path: 10,000 jobs
    names = task_dirs(ckpt_dir, listed if listed is not None else {}).get(name)
    row.task_dir = owned_task_dir(ckpt_dir, names, row.owner) if names else None
    if row.task_dir is None:
        return row
    raw = safe.read_json(f"{row.task_dir}/{layout.MANIFEST}")
    if raw is None:
        return row
    try:
        manifest = layout.check_manifest(raw)
    except errors.BadManifest as exc:
        row.problem = f"bad manifest.json: {exc}"
        return row
    row.manifest = manifest
    generations = manifest.get("generations") or []
    row.generations = len(generations)
    row.size = sum(g.get("size") or 0 for g in generations if g)
    row.restarts = len(manifest.get("restarts") or [])
    row.run, row.run_seconds, row.left_seconds = run_figures(manifest, now)
    found = figures(manifest, now)
    row.stopped, row.overhead, row.lost = found.stopped, found.overhead, found.lost
    error = manifest.get("last_error")
    row.last_error = not_back(manifest, now) or (error.get("message") if error else None)
    if generations and generations[-1]:
        # a number the hooks could have given (gen-NNNNNN, at most 12 digits), or none:
        # the job's owner can write any number into its manifest
        newest = generations[-1].get("gen")
        ours = type(newest) is int and layout.gen_number(layout.gen_name(newest)) == newest
        row.checkpoints = newest if ours else 0
        row.last_checkpoint = generations[-1].get("time")
        row.age_seconds = age(row.last_checkpoint, now)
    return row


STARTING_GRACE = 120  # seconds a DMTCP start or restart may take before the row says so


def run_figures(manifest: dict, now: float) -> tuple[int, int | None, int | None]:
    """(this run's number, seconds over all runs, seconds until this run's checkpoint at
    its time limit) from the manifest's runs; a run without an end is the current one."""
    entries = [r for r in manifest.get("runs") or [] if r]
    if not entries:
        return 0, None, None
    total = layout.run_seconds(manifest, now) or 0
    current = entries[-1]
    left = None
    if not current.get("ended"):
        due = layout.epoch(current.get("checkpoint_at"))
        if due is not None:
            left = max(0, int(due - now))
    return len(entries), int(total), left


def not_back(manifest: dict, now: float) -> str | None:
    """A DMTCP start or restart the coordinator has not reported running (the starter
    records RUNNING once it does): the row's error."""
    coordinator = manifest.get("coordinator") or {}
    state = coordinator.get("state")
    gen = coordinator.get("gen")
    what = f"the restart from {gen}" if gen else "the start"
    where = f" on {coordinator.get('host')}" if coordinator.get("host") else ""
    if state in ("FAILED", "NOT RUNNING"):
        return f"{what}{where} did not come back: DMTCP reports it {state}"
    waited = age(manifest.get("started"), now)
    if state == "STARTING" and waited is not None and waited > STARTING_GRACE:
        return f"{what}{where} is not running after {waited} s: DMTCP has not reported it"
    return None


def list_jobs(
    ge: GridEngine,
    all_jobs: bool = False,
    envs: list[CheckpointEnv] | None = None,
    cache: ListingCache | None = None,
    lookup: int | None = None,
) -> list[JobRow]:
    """Jobs using a checkpoint environment (all jobs with all_jobs), newest data joined.

    Grid Engine is asked the listing (one qstat) and the own when of jobs not seen before:
    every one of them, after the listing (`qstat -j` per CHUNK jobs), or with `lookup` at
    most that many of those the last listing had, alongside it (one `qstat -j`), the others
    showing their environment's when until a later listing reads theirs (when_read
    false). A first listing with `lookup` learns its first ones after it."""
    by_name = {e.name: e for e in (envs if envs is not None else EnvStore(ge).list())}
    now = clock()
    cache = cache or ListingCache()
    first = cache.last_state is None
    text, learned = cache.listing(ge, lookup)
    state = (all_jobs, sorted((e.name, e.ckpt_dir, e.when) for e in by_name.values()))
    if state != cache.last_state:
        cache.blocks = {}  # rows made for other environments
    same_state = state == cache.last_state
    fresh: list[int] = []  # blocks not in the last listing
    if not cache.same(text) or not same_state:
        cache.blocks = listed_blocks(text, cache.blocks, all_jobs)
        fresh = [n for n, row in cache.blocks.items() if type(row) is QstatJob]
    if lookup is None or first:
        rows = [r for r in cache.blocks.values() if r is not None]
        learned |= cache.learn(ge, cache.unknown(rows)[:lookup])
    # the task directories as they are after learning (at 50,000 jobs that can take a
    # minute): a job that ended meanwhile has none, not a row joined with a directory gone
    dirs: dict[str, dict[str, list[str]]] = {}
    for env in by_name.values():
        task_dirs(env.ckpt_dir.rstrip("/"), dirs)
    blocks = cache.blocks
    # the same task directories: only the new rows and the live ones can have changed
    numbers = [*cache.live, *fresh] if same_state and dirs == cache.last_dirs else list(blocks)
    for number in numbers:
        row = blocks.get(number)  # a live row of the last listing may be gone
        if row is not None and not kept(row, by_name, dirs, learned):
            blocks[number] = job_row(row, by_name.get(row.env), cache.known, now, dirs)
    rows = [r for r in blocks.values() if r is not None]
    cache.live = [n for n, r in blocks.items() if r is not None and (r.task_dir or not r.when_read)]
    cache.last_state, cache.last_dirs = state, dirs
    cache.pending = cache.unknown([blocks[n] for n in cache.live]) if lookup else []
    return rows


def listed_blocks(text: str, before: dict, all_jobs: bool) -> dict:
    """Hash of each job's lines -> its row from the last listing where its lines are the
    same, else what qstat says of it (a QstatJob, made a row next), or None: a job not
    listed (no checkpoint environment, all_jobs false)."""
    blocks: dict = {}
    seen: dict[str, str] = {}
    for block in BLOCK.split(text):
        number = hash(block)
        if number in blocks:
            continue  # the same lines twice: one row
        if number in before:
            blocks[number] = before[number]
            continue
        job = parse_block(block, seen)
        if job is not None:
            blocks[number] = job if job.env or all_jobs else None
    return blocks


def kept(row: QstatJob | JobRow, by_name: dict, dirs: dict, learned: set[str]) -> bool:
    """Whether a row of the last listing, its job's lines unchanged, is still right as it
    is: none of the hooks' files for it (no task directory then or now) and no when
    learned since. A QstatJob is a job not seen before: it is never kept."""
    if not isinstance(row, JobRow) or row.task_dir is not None or row.job_id in learned:
        return False
    env = by_name.get(row.env)
    name = task_dir_name(row.job_id, row.task)
    return env is None or name is None or name not in dirs.get(env.ckpt_dir.rstrip("/"), {})


def job_row(
    job: QstatJob | JobRow,
    env: CheckpointEnv | None,
    known: dict[str, tuple[str, int]],
    now: float,
    dirs: dict[str, dict[str, list[str]]],
) -> JobRow:
    """A row of what Grid Engine said of the job (its qstat line, or its last row) and its
    manifest as it is now."""
    own = known.get(job.job_id) if job.env else None
    row = JobRow(
        job_id=job.job_id,
        task=job.task,
        name=job.name,
        owner=job.owner,
        state=job.state,
        queue=job.queue,
        env=job.env,
        when=own[0] if own else (env.when if env else ""),
        interval=own[1] if own else 0,
        when_read=own is not None or not job.env,
    )
    return join_manifest(row, env.ckpt_dir if env and job.env else None, now, dirs)


def read_when(ge: GridEngine, row: JobRow) -> str:
    """The job's own when, asked for now where its listing has not read it yet."""
    if row.when_read:
        return row.when
    found = parse_job_xml(ge.qstat("-j", row.job_id, "-xml", check=False).stdout)
    return found[row.job_id][0] if row.job_id in found else row.when
