"""torchrun's stderr: only the traceback of a stop gpuforge asked for is dropped."""

from __future__ import annotations

import io

from gpuforge.jobs.launcher_stderr import TracebackFilter, forward

SIGNAL_TRACEBACK = [
    b"Traceback (most recent call last):\n",
    b'  File "run.py", line 1032, in <module>\n',
    b"    main()\n",
    b"           ^^^^^^\n",
    b"torch.distributed.elastic.multiprocessing.api.SignalException: Process 7 got signal: 15\n",
]
OTHER_TRACEBACK = [*SIGNAL_TRACEBACK[:-1], b"RuntimeError: rendezvous timed out\n"]


def _run(lines: list[bytes], stopping: bool) -> list[bytes]:
    f = TracebackFilter(lambda: stopping)
    shown = [out for line in lines for out in f.feed(line)]
    return shown + f.flush()


def test_a_signal_traceback_during_a_stop_is_dropped_and_the_rest_passes():
    lines = [b"[rank0]: step 3\n", *SIGNAL_TRACEBACK, b"after\n"]
    assert _run(lines, stopping=True) == [b"[rank0]: step 3\n", b"after\n"]


def test_any_other_traceback_is_shown_whole_even_during_a_stop():
    assert _run(OTHER_TRACEBACK, stopping=True) == OTHER_TRACEBACK


def test_without_a_stop_every_traceback_is_shown():
    assert _run(SIGNAL_TRACEBACK, stopping=False) == SIGNAL_TRACEBACK


def test_a_traceback_cut_off_by_the_end_of_the_stream_is_shown():
    assert _run(SIGNAL_TRACEBACK[:3], stopping=True) == SIGNAL_TRACEBACK[:3]


def test_forward_copies_a_stream_to_a_text_sink():
    sink = io.StringIO()
    forward(io.BytesIO(b"one\ntwo\n"), sink, lambda: False).join(5)
    assert sink.getvalue() == "one\ntwo\n"
