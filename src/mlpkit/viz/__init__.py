"""Pictures of data and training (matplotlib, headless; imported only when drawing)."""
