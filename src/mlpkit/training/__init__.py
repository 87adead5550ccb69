"""One training loop for both engines, with callbacks, history and metrics."""
