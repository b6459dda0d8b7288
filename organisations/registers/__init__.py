"""Grow and check the directory from public registers (Companies House, NHS ODS).

- `config`: the region and the health-tech rules, read from a TOML file (rules.toml here, or the
  file HUBDIR_REGISTER_RULES names).
- `readers`: stream the registers' published files (CSV or zip) into entries, reporting bad rows.
- `matching`: which entries become candidates and why; likely duplicates beside each candidate.
- `checks`: what a register says about organisations already listed.
- `services`: the import (everything written in one transaction at the end) and the curators'
  accept, link, dismiss and resolve.
"""
