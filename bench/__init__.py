"""Load generators and benchmarks: `python -m bench` (make bench)."""
