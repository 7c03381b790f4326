"""`qckpt doctor`: what the cell holds, read once (diagnose), the checks over it (checks),
and what a check finds (findings)."""
