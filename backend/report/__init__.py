"""What checkpointing costs and what it saves: per job, summed, and the interval to use."""
