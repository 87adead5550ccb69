"""Looking inside training: per-layer ``statistics`` recorded each epoch, the ``doctor`` that
reads them (its ``rules`` over the run's ``evidence``), the ``gradient_table`` of ``mlpkit
gradcheck`` and one step ``explain``ed."""
