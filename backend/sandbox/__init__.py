"""The private Grid Engine cell qckpt is tried and tested in: its daemons (cell), its
extra execution hosts in network namespaces (hosts), and the demo set-up (demo)."""
