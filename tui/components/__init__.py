"""The console's panes and dialogs, one module each."""
