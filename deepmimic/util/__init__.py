"""Shared helpers: arg parsing, errors, file I/O, logging, key table, stop signals and MPI."""
