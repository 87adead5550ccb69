"""Files: model weights and metadata, run folders; every write is atomic."""
