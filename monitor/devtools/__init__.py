"""Developer tools: what the monitor costs (bench) and how right it is (evaluate)."""
