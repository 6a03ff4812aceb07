"""Tests of the retention engine (snapstore.retention)."""
