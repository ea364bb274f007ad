"""The camera edge: frame sources, live capture, the MediaPipe adapter, model files."""
