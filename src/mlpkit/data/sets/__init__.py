"""Built-in data sets: synthetic 2-D sets, scikit-learn's bundled sets, MNIST and Fashion-MNIST."""
