"""A qckpt set-up file (what `qckpt export` writes and `qckpt apply` reads), checked
against every rule before anything reaches Grid Engine: one clear message per broken field."""

from __future__ import annotations

from qckpt.backend.errors import FieldError, ValidationFailed
from qckpt.backend.gridengine.checkpoint import FIELD_NAMES, CheckpointEnv
from qckpt.backend.gridengine.queues import check_setting
from qckpt.backend.gridengine.rules import check_name, validate
from qckpt.backend.setup import cpu_complexes
from qckpt.hooks import cpu

VERSION = 1
QUEUE_ATTRS = ("ckpt_list", "starter_method", "min_cpu_interval", "suspend_thresholds")


def check(data: object) -> tuple[list[CheckpointEnv], list[dict], bool, dict]:
    """The file's content, every rule checked before anything is written."""
    errors: list[FieldError] = []
    if not isinstance(data, dict):
        raise ValidationFailed([FieldError("file", "a mapping (qckpt export writes one)")])
    unknown = set(data) - {"version", "cpu_complexes", "environments", "queues", "host_values"}
    if unknown:
        names = ", ".join(sorted(map(str, unknown)))  # YAML keys may be numbers, dates...
        errors.append(FieldError(names, "not a key of a qckpt set-up file"))
    if data.get("version", VERSION) != VERSION:
        errors.append(FieldError("version", f"must be {VERSION}"))
    envs = [_env_from(i, item, errors) for i, item in enumerate(_list(data, "environments"))]
    queues = [_queue_from(i, item, errors) for i, item in enumerate(_list(data, "queues"))]
    wants_cpu = data.get("cpu_complexes", False)
    if not isinstance(wants_cpu, bool):
        errors.append(FieldError("cpu_complexes", "true or false"))
    hosts = data.get("host_values") or {}
    if not isinstance(hosts, dict):
        errors.append(FieldError("host_values", "a mapping of host name to complex values"))
        hosts = {}
    ours = set(cpu_complexes.complex_lines())
    for host, values in hosts.items():
        if not isinstance(values, dict) or not set(values) <= ours:
            errors.append(FieldError(f"host_values.{host}", "cpuflag_* and x86_64_level only"))
            continue
        errors += [e for k, v in values.items() if (e := check_host_value(f"{host}", k, v))]
    names = [e.name for e in envs]
    for name in sorted({n for n in names if names.count(n) > 1}):
        errors.append(FieldError(f"environments.{name}", "named twice"))
    if errors:
        raise ValidationFailed(errors)
    values = {h: {k: str(v) for k, v in vals.items()} for h, vals in hosts.items()}
    return envs, queues, wants_cpu, values


def check_host_value(host: str, name: str, value: object) -> FieldError | None:
    """x86_64_level is a level 1 to 4; a cpuflag_* complex is BOOL (true or false). Nothing
    else may reach `qconf -mattr exechost complex_values` (a comma would add values)."""
    where = f"host_values.{host}.{name}"
    text = str(value).strip()
    if name == cpu.LEVEL_COMPLEX:
        if isinstance(value, bool) or not text.isdigit() or not 1 <= int(text) <= 4:
            return FieldError(where, "a level from 1 to 4 (x86-64-v1 to v4)")
    elif isinstance(value, bool) or text.lower() in ("true", "false", "1", "0"):
        return None
    else:
        return FieldError(where, "true or false")
    return None


def _list(data: dict, key: str) -> list:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise ValidationFailed([FieldError(key, "a list")])
    return value


def _env_from(index: int, item: object, errors: list[FieldError]) -> CheckpointEnv:
    where = f"environments[{index}]"
    if not isinstance(item, dict) or "name" not in item:
        errors.append(FieldError(where, "a mapping with a name and the nine fields"))
        return CheckpointEnv()
    unknown = set(item) - {"name"} - set(FIELD_NAMES)
    if unknown:
        errors.append(
            FieldError(f"{where}.{sorted(map(str, unknown))[0]}", "not a checkpoint(5) field")
        )
    env = CheckpointEnv(name=str(item["name"]))
    for qname, attr in FIELD_NAMES.items():
        if qname != "ckpt_name":
            setattr(env, attr, str(item.get(qname, "")))
    for error in validate(env):
        errors.append(FieldError(f"{env.name or where}.{error.field}", error.rule))
    return env


def _queue_from(index: int, item: object, errors: list[FieldError]) -> dict:
    where = f"queues[{index}]"
    if not isinstance(item, dict) or "name" not in item:
        errors.append(FieldError(where, "a mapping with a name"))
        return {}
    name = str(item["name"])
    error = check_name(name, f"{where}.name")
    if error:
        errors.append(error)
    settings = [(None, attr, item[attr]) for attr in QUEUE_ATTRS if attr in item]
    overrides = item.get("overrides") or {}
    if not isinstance(overrides, dict):
        errors.append(FieldError(f"{name}.overrides", "a mapping of host to attributes"))
        overrides = {}
    for host, values in overrides.items():
        if not isinstance(values, dict) or not set(values) <= set(QUEUE_ATTRS):
            errors.append(FieldError(f"{name}@{host}", "only " + ", ".join(QUEUE_ATTRS)))
            continue
        settings += [(host, attr, value) for attr, value in values.items()]
    for host, attr, value in settings:
        if attr != "ckpt_list":
            problem = check_setting(attr, str(value))
            if problem:
                label = f"{name}@{host}" if host else name
                errors.append(FieldError(f"{label}.{attr}", problem.rule))
    return {"name": name, "hostlist": str(item.get("hostlist", "")), "settings": settings}
