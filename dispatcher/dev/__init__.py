"""For a laptop: embedded Postgres and Redis when none answers, a whole local stack of
real processes, and ``pregonero demo``.  Not used by the engine itself."""
