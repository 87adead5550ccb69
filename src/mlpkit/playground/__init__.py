"""`mlpkit playground`: live training in the browser (see docs/playground.md)."""
