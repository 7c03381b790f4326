"""Bad checkpoint environment inputs: (field to change, bad value, words the rule names)."""

from qckpt.backend.gridengine.checkpoint import CheckpointEnv


def valid_env(name: str = "good") -> CheckpointEnv:
    return CheckpointEnv(
        name=name,
        interface="application-level",
        ckpt_command="/opt/qckpt/qckpt-hook checkpoint $job_id $ja_task_id $ckpt_dir",
        migr_command="/opt/qckpt/qckpt-hook migrate $job_id $ja_task_id $ckpt_dir",
        restart_command="NONE",
        clean_command="/opt/qckpt/qckpt-hook clean $job_id $ja_task_id $ckpt_dir",
        ckpt_dir="/var/spool/ckpt",
        signal="USR1",
        when="xsr",
    )


BAD = [
    # ckpt_name: sge_types(5) object_name
    ("ckpt_name", "", "required"),
    ("ckpt_name", "has space", "space"),
    ("ckpt_name", "a/b", "'/'"),
    ("ckpt_name", "a:b", "':'"),
    ("ckpt_name", "a@b", "'@'"),
    ("ckpt_name", "a,b", "','"),
    ("ckpt_name", "a%b", "'%'"),
    ("ckpt_name", "a(b)", "'('"),
    ("ckpt_name", "a[b]", "'['"),
    ("ckpt_name", "a{b}", "'{'"),
    ("ckpt_name", "a|b", "'|'"),
    ("ckpt_name", 'a"b', "'\"'"),
    ("ckpt_name", "a'b", '"\'"'),
    ("ckpt_name", "a\\b", "'\\\\'"),
    ("ckpt_name", ".hidden", "start"),
    ("ckpt_name", "#x", "start"),
    ("ckpt_name", "NONE", "reserved"),
    ("ckpt_name", "all", "reserved"),
    ("ckpt_name", "Template", "reserved"),
    ("ckpt_name", "tab\there", "tab"),
    ("ckpt_name", "x" * 513, "512"),
    ("ckpt_name", "caf\u00e9", "ASCII"),
    ("ckpt_name", "new\nline", "one line"),
    # interface
    ("interface", "", "one of"),
    ("interface", "dmtcp", "one of"),
    ("interface", "application level", "one of"),
    ("interface", "transparent\nx", "one line"),
    # commands
    ("ckpt_command", "", "required"),
    ("ckpt_command", "qckpt-hook checkpoint", "absolute"),
    ("ckpt_command", "./hook", "absolute"),
    ("ckpt_command", "/bin/x $HOME", "$HOME"),
    ("ckpt_command", "/bin/x ${job_id}", "'$' must be followed"),
    ("ckpt_command", "/bin/x $", "'$' must be followed"),
    ("ckpt_command", "/bin/x $$", "'$' must be followed"),
    ("ckpt_command", "/bin/x $job_ids", "$job_ids"),
    ("ckpt_command", "/bin/x $JOB_ID", "$JOB_ID"),
    ("ckpt_command", "/bin/x $job_id-$TMPDIR", "$TMPDIR"),
    ("migr_command", '/bin/x "$USER"', "$USER"),
    ("migr_command", "migrate.sh", "absolute"),
    ("migr_command", "/bin/x\n/bin/y", "one line"),
    ("restart_command", "/bin/x $pe_hostfile", "$pe_hostfile"),
    ("restart_command", "~/restart", "absolute"),
    ("clean_command", "/bin/rm -rf $ckpt_dir/$(whoami)", "'$' must be followed"),
    ("clean_command", "", "required"),
    # ckpt_dir
    ("ckpt_dir", "", "required"),
    ("ckpt_dir", "relative/dir", "absolute"),
    ("ckpt_dir", "/with space", "spaces"),
    ("ckpt_dir", "/a\nb", "one line"),
    ("ckpt_dir", "NONE", "absolute"),
    # signal
    ("signal", "", "required"),
    ("signal", "SIGUSR1", "without SIG"),
    ("signal", "USR3", "not a Linux signal"),
    ("signal", "EMT", "not a Linux signal"),
    ("signal", "PROF", "use 27"),
    ("signal", "0", "1 to 64"),
    ("signal", "65", "1 to 64"),
    ("signal", "-9", "not a Linux signal"),
    ("signal", "+5", "not a Linux signal"),
    # when
    ("when", "", "required"),
    ("when", "nx", "alone"),
    ("when", "sn", "alone"),
    ("when", "X", "lower case"),
    ("when", "abc", "lower case"),
    ("when", "s m", "lower case"),
]
