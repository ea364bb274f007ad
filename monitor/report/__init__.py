"""The day's figures (pure) and their renderings: terminal, HTML, JSON, CSV, timeline."""
