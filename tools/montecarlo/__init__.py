"""Monte Carlo campaigns (issue 4): dispersed SIL flights in parallel, results, report.

Modules:
  worker    one dispersed run in a worker process -> a JSON-able record
  pool      local worker processes (crash-isolating) and the Dask executor
  store     the campaign directory: campaign.json, append-only runs.jsonl, runs.csv
  campaign  orchestration: resume, progress bar, throughput, report
  report    report.md and the statistics; plots: the PNG figures (matplotlib, Agg)

Usage and file formats: tools/montecarlo/README.md.
"""
