"""Shared helpers: arg parsing, errors, file I/O, logging, quaternion math and MPI."""
