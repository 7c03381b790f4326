"""Grid Engine itself: the one runner of its commands (runner), its text formats (formats),
checkpoint environments (checkpoint, rules, envs), queues and their instances' states
(queues, queue_states), the global configuration (configuration) and who and where the
cell is (cell_info). Nothing here knows about ckpt_dir or the console."""
