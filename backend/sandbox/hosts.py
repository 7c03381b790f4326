"""More execution hosts for the sandbox cell, as on a real cluster but on one machine.

Each extra host is a network namespace with its own address (a veth pair on a /30 in the
loopback range 127.0.0.0/8, routed with route_localnet) and its own host name (a UTS
namespace around its sge_execd). It sees the same files, so ckpt_dir and the hooks are
shared as an NFS mount would share them. Names resolve both ways: the host's lines go into
/etc/hosts (marked, removed with the cell), and `ip netns exec` gives the namespace its own
/etc/netns/NAME/hosts, where the qmaster's host name points at the near end of the veth.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

from qckpt.backend.errors import QckptError

ETC_HOSTS = "/etc/hosts"
NETNS_ETC = "/etc/netns"
MAX_HOSTS = 8


class HostSetupError(QckptError):
    pass


@dataclass(frozen=True)
class ExtraHost:
    """Execution host number `number` (2, 3, ...) of a cell whose qmaster listens on `port`."""

    cell: str
    number: int
    port: int

    @property
    def name(self) -> str:
        return f"{self.cell}-host{self.number}"

    @property
    def netns(self) -> str:
        return self.name

    @property
    def veth(self) -> tuple[str, str]:
        """Interface names (at most 15 characters): this machine's end, the host's end."""
        base = f"qk{self.port}h{self.number}"
        return f"{base}a", f"{base}b"

    @property
    def addresses(self) -> tuple[str, str]:
        """127.P.Q.x/30, from the cell's port: this machine's end, the host's end."""
        high, low = (self.port >> 8) & 255, self.port & 255
        first = 4 * (self.number - 2)
        return f"127.{high}.{low}.{first + 1}", f"127.{high}.{low}.{first + 2}"

    @property
    def gid_range(self) -> str:
        """Additional group ids for its jobs, apart from every other host's (and from the
        global 65400-65500 the first host uses)."""
        first = 64000 + 100 * (self.number - 2)
        return f"{first}-{first + 99}"

    @property
    def marker(self) -> str:
        return f"# qckpt sandbox {self.cell}"


def hosts_for(cell: str, port: int, count: int) -> list[ExtraHost]:
    """The extra hosts of a cell with `count` execution hosts in all."""
    if not 1 <= count <= MAX_HOSTS:
        raise HostSetupError(f"--hosts: 1 to {MAX_HOSTS} execution hosts")
    return [ExtraHost(cell, number, port) for number in range(2, count + 1)]


def ip(*args: str, netns: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    argv = ["ip", "netns", "exec", netns, *args] if netns else list(args)
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if check and result.returncode != 0:
        raise HostSetupError(f"{' '.join(argv)}: {result.stderr.strip() or result.returncode}")
    return result


def exists(host: ExtraHost) -> bool:
    return os.path.exists(os.path.join("/run/netns", host.netns))


def create(host: ExtraHost, qmaster_host: str) -> None:
    """The namespace, its veth pair and routes, and both sides' host names (idempotent)."""
    near, far = host.addresses
    near_if, far_if = host.veth
    for tool, package in (("ip", "iproute2"), ("unshare", "util-linux")):
        if shutil.which(tool) is None:
            raise HostSetupError(f"--hosts needs {tool}: apt-get install {package}")
    if not exists(host):
        ip("ip", "netns", "add", host.netns)
        ip("ip", "link", "add", near_if, "type", "veth", "peer", "name", far_if)
        ip("ip", "link", "set", far_if, "netns", host.netns)
        ip("ip", "addr", "add", f"{near}/30", "dev", near_if)
        ip("ip", "link", "set", near_if, "up")
        ip("ip", "addr", "add", f"{far}/30", "dev", far_if, netns=host.netns)
        for link in ("lo", far_if):
            ip("ip", "link", "set", link, "up", netns=host.netns)
        # 127/8 is "martian" off the loopback device unless route_localnet allows it, and the
        # local table's 127.0.0.0/8 would keep the far address on this machine's lo.
        for key in ("all", near_if):
            ip("sysctl", "-qw", f"net.ipv4.conf.{key}.route_localnet=1")
        for key in ("all", far_if):
            ip("sysctl", "-qw", f"net.ipv4.conf.{key}.route_localnet=1", netns=host.netns)
        ip("ip", "route", "replace", far, "dev", near_if, "table", "local", "src", near)
        ip(
            "ip",
            "route",
            "replace",
            near,
            "dev",
            far_if,
            "table",
            "local",
            "src",
            far,
            netns=host.netns,
        )
    folder = os.path.join(NETNS_ETC, host.netns)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "hosts"), "w") as handle:
        handle.write(f"127.0.0.1 localhost\n{near} {qmaster_host}\n{far} {host.name}\n")
    add_hosts_line(f"{far} {host.name} {host.marker}")


def add_hosts_line(line: str) -> None:
    with open(ETC_HOSTS) as handle:
        lines = handle.read().splitlines()
    if line not in lines:
        name = line.split()[1]
        kept = [ln for ln in lines if not (len(ln.split()) > 1 and ln.split()[1] == name)]
        write_hosts(kept + [line])


def write_hosts(lines: list[str]) -> None:
    """Rewrite /etc/hosts in place (it may be a bind mount: never replace the file)."""
    with open(ETC_HOSTS, "w") as handle:
        handle.write("".join(line + "\n" for line in lines))


def remove(host: ExtraHost) -> None:
    """The namespace (its veth pair goes with it), its files and its /etc/hosts line."""
    if exists(host):
        ip("ip", "netns", "del", host.netns, check=False)
    ip("ip", "link", "del", host.veth[0], check=False)
    path = os.path.join(NETNS_ETC, host.netns, "hosts")
    if os.path.exists(path):
        os.remove(path)
        os.rmdir(os.path.dirname(path))
    with open(ETC_HOSTS) as handle:
        lines = handle.read().splitlines()
    kept = [ln for ln in lines if not ln.endswith(host.marker) or host.name not in ln.split()]
    if kept != lines:
        write_hosts(kept)


def in_host(host: ExtraHost, argv: list[str]) -> list[str]:
    """A command run on the host (its network and host name), e.g. to check what it sees."""
    return [
        "ip",
        "netns",
        "exec",
        host.netns,
        "unshare",
        "--uts",
        "sh",
        "-c",
        'hostname "$0" && exec "$@"',
        host.name,
        *argv,
    ]
