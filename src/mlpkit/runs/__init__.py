"""The run-folder application: ``train`` (a new or resumed run into its folder), ``use``
(evaluate and predict with a saved model), ``convert`` (CSV -> Parquet), ``folder`` (the
folder itself) and ``metrics`` (one implementation for every split and door)."""
