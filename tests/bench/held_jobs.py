"""Held jobs for the jobs benchmarks, submitted quickly: one process submitting through
Grid Engine's DRMAA library (Debian's gridengine-drmaa1.0) keeps one connection to the
qmaster, about 1,100 jobs a second here, where each `qsub` is a process of its own that
spends ~38 ms of CPU before it connects (about 20 a second, 35 with four in parallel on
2 CPUs). Without the library, qsub it is."""

from __future__ import annotations

import os

from qckpt.backend.sandbox.cell import Sandbox

LIBRARY = "/usr/lib/gridengine-drmaa/lib/libdrmaa.so.1.0"
# libdrmaa links jemalloc, whose thread-local storage must be there from the start: dlopen
# into a running Python fails with "cannot allocate memory in static TLS block"
JEMALLOC = "/lib/x86_64-linux-gnu/libjemalloc.so.2"
# run as the job user by the system's Python (stdlib only), its source on stdin
SUBMIT = """
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
error = ctypes.create_string_buffer(1024)
def check(rc):
    if rc:
        sys.exit(f"DRMAA error {rc}: {error.value.decode()}")
check(lib.drmaa_init(None, error, 1024))
template = ctypes.c_void_p()
check(lib.drmaa_allocate_job_template(ctypes.byref(template), error, 1024))
def set(name, value):
    check(lib.drmaa_set_attribute(template, name.encode(), value.encode(), error, 1024))
set("drmaa_remote_command", "/bin/true")
job_id = ctypes.create_string_buffer(128)
for number in range(int(sys.argv[3]), int(sys.argv[4])):
    set("drmaa_native_specification", f"{sys.argv[2]} -N b{number}")
    check(lib.drmaa_run_job(job_id, 128, template, error, 1024))
lib.drmaa_exit(error, 1024)
"""


def submit(sandbox: Sandbox, options: str, start: int, end: int) -> None:
    """Jobs b{start} .. b{end - 1}, each `qsub OPTIONS -N bN /bin/true`, as the job user."""
    ge = sandbox.ge(timeout=3600)
    if os.path.exists(LIBRARY) and os.path.exists(JEMALLOC):
        # DRMAA verifies a job as `qsub -w e` does (a checkpoint environment no queue offers
        # refuses it: "no suitable queues"); qsub's own default is -w n
        options = f"-w n {options}"
        python = ["env", f"LD_PRELOAD={JEMALLOC}", "/usr/bin/python3", "-"]
        command = [*python, LIBRARY, options, str(start), str(end)]
        ge.run(command, input=SUBMIT, user=sandbox.user, cwd="/tmp")
        return
    lines = (f"qsub {options} -N b{i} /bin/true >/dev/null\n" for i in range(start, end))
    ge.run(["/bin/sh", "-s"], input="".join(lines), user=sandbox.user, cwd="/tmp")
