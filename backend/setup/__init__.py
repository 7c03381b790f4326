"""Setting a cell up for checkpointing: the guided steps of `qckpt setup` (steps), the
environment templates (templates), the hooks on disk (hooks_install), qckpt's CPU
complexes (cpu_complexes), asking each host through Grid Engine (host_probe), the smoke
test (smoke_test), and the set-up as a file: `qckpt export` / `apply` (export), checked
field by field (export_file)."""
