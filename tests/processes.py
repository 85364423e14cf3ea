"""Real processes for the many-operators tests (DESIGN.md M7): start one process per job behind a
shared barrier, so they reach the contended row together, and collect one result from each."""
from __future__ import annotations

import multiprocessing

# spawn, not fork: each process opens its own database connection, as a second desk would.
CTX = multiprocessing.get_context("spawn")


def run_behind_barrier(jobs: list[tuple], timeout: float) -> list:
    """`jobs`: (target, args); each target is called as target(*args, barrier, results) and puts
    one result on `results`. Every process is ended before returning, whatever happens."""
    barrier = CTX.Barrier(len(jobs))
    results = CTX.Queue()
    procs = [CTX.Process(target=target, args=(*args, barrier, results)) for target, args in jobs]
    for p in procs:
        p.start()
    try:
        out = [results.get(timeout=timeout) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout)
            if p.is_alive():
                p.kill()
    assert all(p.exitcode == 0 for p in procs), [p.exitcode for p in procs]
    return out
