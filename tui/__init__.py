"""qckpt's user interfaces: the command line (cli/) over the Textual console (app.py, and
its views and dialogs in components/), over what both show (rows.py, output.py) and the
console's settings (settings.py)."""
