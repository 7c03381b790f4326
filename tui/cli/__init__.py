"""`qckpt`'s command line: the parser and entry point (main), then one module per group of
commands, each with its `register(sub)`: sandbox, envs, queues, hooks, jobs, export (export
and apply), doctor, setup."""
