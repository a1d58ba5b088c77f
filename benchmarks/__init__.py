"""Side-by-side benchmarks of chainrule against PyTorch (run as ``python -m benchmarks.NAME``)."""
