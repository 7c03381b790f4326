"""Every error the hooks raise, in one place: each verb turns them into one clear line in
the job's log (and its error file) and an exit status Grid Engine acts on."""


class UsageError(Exception):
    """A hook's command line, or the job's environment, is not what Grid Engine passes."""


class StartError(Exception):
    """The starter cannot tell what to start (it is not run by Grid Engine)."""


class EngineError(Exception):
    """An engine could not checkpoint, migrate or restore the job (DMTCP or the signals)."""


class LockTimeout(Exception):
    """Another hook of the same task held its lock for longer than the timeout."""


class GridEngineFailed(Exception):
    """A Grid Engine command the hooks run (qconf, qstat) failed or timed out."""


class Untrusted(OSError):
    """A name in ckpt_dir is not what it must be (a link, a FIFO, someone else's...)."""


class Refused(OSError):
    """ckpt_dir itself cannot be trusted."""


class BadManifest(ValueError):
    """A manifest or a generation's meta.json breaks its schema (the field and the rule)."""
