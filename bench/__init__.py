"""`make bench` / `python -m bench`: the gateway against calling Altegio directly and a plain nginx cache.

See bench/__main__.py for the options and README's "Benchmark" section for the figures.
"""
