"""The checkpoint environment model (checkpoint(5)) and its qconf text form."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from qckpt.backend.gridengine.formats import format_fields, parse_fields

# qconf's field name -> model attribute, in qconf's order.
FIELD_NAMES: dict[str, str] = {
    "ckpt_name": "name",
    "interface": "interface",
    "ckpt_command": "ckpt_command",
    "migr_command": "migr_command",
    "restart_command": "restart_command",
    "clean_command": "clean_command",
    "ckpt_dir": "ckpt_dir",
    "signal": "signal",
    "when": "when",
}
COMMAND_FIELDS = ("ckpt_command", "migr_command", "restart_command", "clean_command")
INTERFACES = ("userdefined", "hibernator", "transparent", "application-level", "cpr")
# Grid Engine stores `when` letters in this order (sxr comes back as xsr).
WHEN_ORDER = "xsmr"


@dataclass
class CheckpointEnv:
    name: str = ""
    interface: str = ""
    ckpt_command: str = ""
    migr_command: str = ""
    restart_command: str = ""
    clean_command: str = ""
    ckpt_dir: str = ""
    signal: str = ""
    when: str = ""
    # Fields qconf's text held that checkpoint(5) does not define: kept, reported.
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_text(cls, text: str) -> CheckpointEnv:
        env = cls()
        for qname, value in parse_fields(text):
            attr = FIELD_NAMES.get(qname)
            if attr is None:
                env.extra[qname] = value
            else:
                setattr(env, attr, value)
        return env

    def to_text(self) -> str:
        pairs = [(qname, getattr(self, attr)) for qname, attr in FIELD_NAMES.items()]
        return format_fields(pairs + list(self.extra.items()))

    def as_dict(self) -> dict[str, str]:
        return {qname: getattr(self, attr) for qname, attr in FIELD_NAMES.items()}

    def with_changes(self, **changes: str) -> CheckpointEnv:
        return replace(self, extra=dict(self.extra), **changes)

    def canonical(self) -> CheckpointEnv:
        """The form Grid Engine stores: NONE in one case, `when` in its letter order."""
        out = self.with_changes(
            **{attr: getattr(self, attr).strip() for attr in FIELD_NAMES.values()}
        )
        for attr in COMMAND_FIELDS + ("signal",):
            if getattr(out, attr).strip().upper() == "NONE":
                setattr(out, attr, "NONE")
        out.when = canonical_when(self.when)
        return out

    def diff(self, other: CheckpointEnv) -> list[str]:
        """Human-readable differences `field: old -> new`, in qconf's order."""
        a, b = self.canonical(), other.canonical()
        lines = []
        for qname, attr in FIELD_NAMES.items():
            old, new = getattr(a, attr), getattr(b, attr)
            same = old.lower() == new.lower() if attr == "interface" else old == new
            if not same:
                lines.append(f"{qname}: {old or '(empty)'} -> {new or '(empty)'}")
        for key in sorted(set(a.extra) | set(b.extra)):
            if a.extra.get(key) != b.extra.get(key):
                lines.append(f"{key}: {a.extra.get(key, '(none)')} -> {b.extra.get(key, '(none)')}")
        return lines


def canonical_when(when: str) -> str:
    letters = when.strip()
    if letters.lower() == "n" or any(ch not in WHEN_ORDER for ch in letters):
        return letters
    return "".join(ch for ch in WHEN_ORDER if ch in letters)


def model_attrs() -> list[str]:
    return [f.name for f in fields(CheckpointEnv) if f.name != "extra"]
