"""qckpt-starter (perl) starts a job that does not checkpoint without Python, exactly as the
Python half would (and as the shepherd would: tests/cell/test_starter_passthrough.py), and
hands every checkpointing job to `qckpt-hook starter`."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from qckpt.backend.setup.hooks_install import DEFAULT_PYTHON, install

# the hosts' python3, or the Python 3.9 of tests/install/test_python39.py
PYTHON = os.environ.get("QCKPT_TEST_HOOK_PYTHON", DEFAULT_PYTHON)
HOOK_COMMAND = "{hooks}/qckpt-hook checkpoint --engine signal $job_id $ja_task_id $ckpt_dir"
# What the job prints of its start: argv (argv[0] too), its environment as bytes in their
# order, then (by commands it runs: the shell's own masks change while it waits for one)
# the ignored and blocked signals and open descriptors they inherit, and stdin.
PROBE = r"""#!/bin/sh
tr '\0' '|' < /proc/$$/cmdline; echo
od -An -c /proc/$$/environ | tr -d ' \n'; echo
grep -E '^Sig(Ign|Blk)' /proc/self/status
ls /proc/self/fd | tr '\n' ' '; echo
cat
"""


@pytest.fixture
def recorded(tmp_path):
    """Hooks whose python is a wrapper writing each start to a file, then running python3."""
    log = tmp_path / "python-starts"
    wrapper = tmp_path / "python3"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {log}\nexec {PYTHON} "$@"\n')
    wrapper.chmod(0o755)
    folder = tmp_path / "hooks it's \\ here"  # quoted right in the perl script
    install(str(folder), python=str(wrapper))
    log.unlink()  # the install's own start: it compiles the hooks with the python it names
    return str(folder), log


def spool(tmp_path, **config: str) -> str:
    folder = tmp_path / "spool"
    folder.mkdir(exist_ok=True)
    lines = {"handle_as_binary": "0", "no_shell": "0", "ckpt_job": "0", **config}
    (folder / "config").write_text("".join(f"{k}={v}\n" for k, v in lines.items()))
    return str(folder)


def probe(tmp_path) -> str:
    path = tmp_path / "probe.sh"
    path.write_text(PROBE)
    path.chmod(0o755)
    return str(path)


def start(
    argv: list[str], env: dict[str, str], ignore=(), stdin: str = "from stdin\n"
) -> subprocess.CompletedProcess:
    def dispositions():
        for signum in ignore:
            signal.signal(signum, signal.SIG_IGN)

    return subprocess.run(
        argv, env=env, input=stdin, capture_output=True, text=True, timeout=60,
        preexec_fn=dispositions,
    )  # fmt: skip


def job_env(spool_dir: str, mode: str, login: str, **extra: str) -> dict[str, str]:
    # an order of its own, with PWD naming another directory: a shell would rewrite both
    return {
        "ZZ_FIRST": "1",
        "PATH": os.environ["PATH"],
        "PWD": "/",
        "SGE_JOB_SPOOL_DIR": spool_dir,
        "SGE_STARTER_SHELL_PATH": "/bin/sh",
        "SGE_STARTER_SHELL_START_MODE": mode,
        "SGE_STARTER_USE_LOGIN_SHELL": login,
        "AA_LAST": "odd value = with spaces\tand tab",
        **extra,
    }


CASES = {
    "posix": ("posix_compliant", "false", {}),
    "posix-login": ("posix_compliant", "true", {}),
    "unix": ("unix_behavior", "false", {}),
    "stdin": ("script_from_stdin", "true", {}),
    "command": ("start_as_command", "false", {}),
    "binary": ("posix_compliant", "true", {"handle_as_binary": "1"}),
    "binary-no-shell": ("posix_compliant", "false", {"handle_as_binary": "1", "no_shell": "1"}),
    "foreign-env": ("posix_compliant", "false", {"ckpt_job": "1", "ckpt_dir": "/c"}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_job_without_checkpointing_starts_without_python_as_the_python_half_would(
    recorded, tmp_path, case
):
    hooks, log = recorded
    mode, login, config = CASES[case]
    if case == "foreign-env":  # a checkpoint environment of another tool
        config = {**config, "ckpt_interface": "application-level", "ckpt_command": "/x/ck.sh"}
    env = job_env(spool(tmp_path, **config), mode, login, SGE_CKPT_ENV="theirs")
    script = probe(tmp_path)
    args = ["-s", "a"] if mode == "script_from_stdin" else [script, "a", "b  c"]
    if config.get("handle_as_binary") == "1":
        args = [script, "a", "b"]
    # script_from_stdin: stdin is the script itself
    stdin = PROBE.replace("cat\n", "") if mode == "script_from_stdin" else "from stdin\n"
    ignore = (signal.SIGHUP,)
    perl = start([os.path.join(hooks, "qckpt-starter"), *args], env, ignore, stdin)
    assert not log.exists(), f"Python was started for a job that does not checkpoint: {case}"
    python = [PYTHON, "-IS", os.path.join(hooks, "qckpt-hook"), "starter", *args]
    python_run = start(python, env, ignore, stdin)
    assert perl.returncode == python_run.returncode == 0, perl.stderr + python_run.stderr
    assert "ZZ_FIRST=1\\0" in perl.stdout  # the probe saw the environment
    assert perl.stdout == python_run.stdout
    assert perl.stderr == python_run.stderr == ""


def test_the_job_sees_the_environment_untouched(recorded, tmp_path):
    """The one thing both halves must not do: change the environment (as a shell would)."""
    hooks, _ = recorded
    env = job_env(spool(tmp_path), "posix_compliant", "false")
    out = tmp_path / "environ"
    script = tmp_path / "dump.sh"
    script.write_text(f"#!/bin/sh\ncat /proc/$$/environ > {out}\n")
    run = start([os.path.join(hooks, "qckpt-starter"), str(script)], env)
    assert run.returncode == 0, run.stderr
    expected = b"".join(f"{k}={v}\0".encode() for k, v in env.items())
    assert out.read_bytes() == expected


def test_a_start_that_fails_is_one_line_and_the_jobs_error_state(recorded, tmp_path):
    hooks, _ = recorded
    env = job_env(spool(tmp_path), "posix_compliant", "false")
    env["SGE_STARTER_SHELL_PATH"] = "/nonexistent/sh"
    for argv in (
        [os.path.join(hooks, "qckpt-starter"), probe(tmp_path)],
        [PYTHON, "-IS", os.path.join(hooks, "qckpt-hook"), "starter", probe(tmp_path)],
    ):
        run = start(argv, env)
        assert run.returncode == 100
        assert run.stderr == (
            "qckpt-starter: cannot run /nonexistent/sh: No such file or directory\n"
        )
    run = start([os.path.join(hooks, "qckpt-starter")], env)
    assert (run.returncode, run.stderr) == (
        100,
        "qckpt-starter: the starter got no job script (it is run by Grid Engine)\n",
    )


@pytest.mark.parametrize("task", ["", "1.vm"])
def test_a_checkpointing_job_goes_on_in_python(recorded, tmp_path, task):
    hooks, log = recorded
    config = {
        "ckpt_job": "1",
        "ckpt_dir": str(tmp_path / "no-ckpt-dir"),
        "ckpt_interface": "APPLICATION-LEVEL",
        "ckpt_command": "NONE",
        "ckpt_migr_command": HOOK_COMMAND.format(hooks=hooks),
    }
    if task:
        config["pe_task_id"] = task
    env = job_env(spool(tmp_path, **config), "posix_compliant", "false", SGE_CKPT_ENV="qckpt")
    script = probe(tmp_path)
    start([os.path.join(hooks, "qckpt-starter"), script, "a"], env)
    hook = os.path.join(hooks, "qckpt-hook")
    assert log.read_text() == f"-IS {hook} starter {script} a\n"


@pytest.mark.parametrize("later", ["/bin/sh", "/nonexistent/sh"])
def test_both_halves_read_the_spool_config_by_the_same_rules(recorded, tmp_path, later):
    """Split on "\\n" alone, the name up to the first "=", the later of two equal names."""
    hooks, _ = recorded
    folder = tmp_path / "spool"
    folder.mkdir()
    (folder / "config").write_bytes(
        b"a line without an equals sign\nshell_path=/other/sh\nhandle_as_binary=1\r\n"
        b"=nameless\nno_shell=0\nhandle_as_binary=0\rshell_path=/x\n"
        + f"shell_path={later}\njob_name=a=b\n".encode()
    )
    env = job_env(str(folder), "posix_compliant", "false")
    del env["SGE_STARTER_SHELL_PATH"]  # so the config's shell_path is the one used
    script = probe(tmp_path)
    perl = start([os.path.join(hooks, "qckpt-starter"), script, "x"], env)
    python = start([PYTHON, "-IS", os.path.join(hooks, "qckpt-hook"), "starter", script, "x"], env)
    assert (perl.returncode, perl.stdout, perl.stderr) == (
        python.returncode,
        python.stdout,
        python.stderr,
    )
    if later == "/bin/sh":
        assert perl.returncode == 0 and perl.stdout.startswith(f"sh|{script}|x|")
    else:
        assert perl.stderr == f"qckpt-starter: cannot run {later}: No such file or directory\n"


def test_the_starter_compiles_cleanly_under_strict_and_warnings(recorded):
    hooks, _ = recorded
    run = subprocess.run(
        ["perl", "-Mstrict", "-w", "-c", os.path.join(hooks, "qckpt-starter")],
        capture_output=True,
        text=True,
    )
    assert (
        run.returncode == 0 and run.stderr.endswith("syntax OK\n") and run.stderr.count("\n") == 1
    )
