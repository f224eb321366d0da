"""Helpers of bench/gpu_throughput.py: data, model preparation, one-run worker, report."""
