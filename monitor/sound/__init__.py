"""The sound edge: chimes synthesised with numpy, players, the alert announcer."""
