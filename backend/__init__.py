"""Everything that talks to Grid Engine and reads ckpt_dir. No UI.

Sub-packages in layers, each importing only those under it (pyproject.toml's contracts):
doctor and sandbox over setup, over jobs, over gridengine, over text and errors. The
hooks (qckpt.hooks) are under all of them: the backend reads ckpt_dir through them."""
