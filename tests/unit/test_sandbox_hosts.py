"""Names and addresses of the sandbox's extra execution hosts (pure)."""

from __future__ import annotations

import pytest

from qckpt.backend.sandbox.hosts import HostSetupError, hosts_for


def test_each_host_has_its_own_name_interfaces_and_loopback_30():
    second, third = hosts_for("qckpt", 16444, 3)
    assert (second.name, third.name) == ("qckpt-host2", "qckpt-host3")
    assert second.addresses == ("127.64.60.1", "127.64.60.2")
    assert third.addresses == ("127.64.60.5", "127.64.60.6")
    assert all(len(name) <= 15 for h in (second, third) for name in h.veth)
    assert hosts_for("qckpt", 16444, 1) == []


def test_another_cell_gets_other_addresses_and_the_count_is_bounded():
    assert hosts_for("qckptsnap", 18444, 2)[0].addresses[1] == "127.72.12.2"
    for count in (0, 9):
        with pytest.raises(HostSetupError, match="--hosts: 1 to 8"):
            hosts_for("qckpt", 16444, count)


def test_hosts_on_one_kernel_get_gid_ranges_of_their_own():
    second, third = hosts_for("qckpt", 16444, 3)
    assert (second.gid_range, third.gid_range) == ("64000-64099", "64100-64199")
