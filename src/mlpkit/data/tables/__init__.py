"""The user's own tables (CSV, Parquet): read in memory or streamed a chunk at a time, each
column's role inferred, encoded the same way for training and for every later prediction."""
