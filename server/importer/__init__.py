"""The bundle import, by job: the problems it finds (problems), the row shapes (rows), JSON read
within bounds (jsontext), the bundle's files (files), the codes rows name (references), staging
and merging (staging) and the set-based path of service counts (bulk). countypay.load runs them."""
