"""The pure core: pose samples in, presence, sitting, posture and alerts out.

numpy and the standard library only: no camera, clock, sound or disk."""
