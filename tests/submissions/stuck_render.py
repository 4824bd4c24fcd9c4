"""A render that never ends, for the time-limit test: run in the child process, it waits forever."""

import threading


def never_finishes(connection) -> None:
    connection.send(("progress", "laying out pages"))
    threading.Event().wait()
