"""Everything that talks to Grid Engine and reads ckpt_dir. No UI."""
