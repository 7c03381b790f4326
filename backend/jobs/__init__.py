"""Checkpointed jobs and ckpt_dir: the job listing with each task's manifest (listing),
what the console does to a job (actions, checkpoint_now), the hooks' events (events),
ckpt_dir's size by owner and job (storage) and its growth over time (usage_history)."""
