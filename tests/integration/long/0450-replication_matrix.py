#!/usr/bin/python3
"""Proves Kafka's classic replication matrix on 3 brokers over PLAINTEXT (3-partition RF=3 topic, min.insync.replicas=2, acks=all, idempotent verifiable producer and group consumer running throughout): for each of clean shutdown, hard kill, clean bounce x3 and hard bounce x3 of the partition leader and of the controller, every acknowledged record is consumed afterwards and each partition keeps acknowledgement order. The matrix itself is in matrix.py (shared with 0451, the same over SASL_SSL). Run by `make check-long`."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
import harness  # noqa: E402
import matrix  # noqa: E402

harness.main(lambda c: matrix.run_matrix(c), brokers=3, broker_props=matrix.PROPS)
