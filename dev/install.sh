#!/bin/bash
# Installs what qckpt and its tests need on a Debian 12 machine (run as root):
# Debian's Grid Engine packages and tools, then qckpt into ./.venv with its test extra.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(gridengine-master gridengine-exec gridengine-client python3 tmux librsvg2-bin procps
          iproute2 util-linux  # ip netns and unshare: the sandbox's second host
          gcc libc6-dev  # the C test job
          mpich libmpich-dev  # an MPI job under a parallel environment
          pypy3 pypy3-dev pypy3-venv  # a Python 3.9 (PyPy 7.3) for tests/install
          gridengine-drmaa1.0 libjemalloc2)  # tests/bench submits 50,000 held jobs through DRMAA
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! python3 -c "import ensurepip, venv" 2>/dev/null; then
    missing+=(python3-venv python3-pip)
fi
if ((${#missing[@]})); then
    echo "installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
