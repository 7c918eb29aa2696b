"""Run one notebook in a sandboxed kernel, cell by cell, and collect what each cell did.

Built on nbclient. Beyond executing, the runner:

- answers a check's request for cases only while one of the notebook's test cells runs,
  by writing the cases into the job's inbox (read-only to the kernel), and records the
  outputs the check reports, attributed to the cell that emitted them;
- keeps channel messages out of the notebook, and caps what a notebook may send: printed
  output and channel messages together count against ``Limits.output_mb``, past which the
  kernel is stopped as a runaway; a channel message larger than ``MAX_CHANNEL_BYTES`` is
  refused;
- bounds what the grader holds per kernel: every socket of the kernel client is made with
  ZeroMQ's ``MAXMSGSIZE``, so libzmq drops a frame larger than the output cap before
  jupyter_client reads (and JSON-decodes) it; libzmq then disconnects the kernel, which
  ``_watch`` notices and treats as a runaway;
- bounds the notebook's wall clock: past ``Limits.notebook_timeout`` the kernel is stopped
  and the remaining cells are not run;
- survives a cell that times out or kills its kernel: it starts a fresh kernel, replays
  the cells that ran before (not the test cells, whose results are already recorded), and
  goes on with the next cell, so one broken exercise costs only its own points. After
  ``MAX_FAILURES`` such failures the remaining cells are not run.
"""

import asyncio
import contextlib
import functools
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import nbformat
import zmq
import zmq.asyncio
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from autograder.i18n import N_, _
from autograder.learner import wire
from autograder.learner.channel import MIME
from autograder.sandbox import Job, Limits, SandboxedKernelManager

MAX_FAILURES = 3
# Every cell's reason when no kernel starts; the grader tells this failure, which no learner
# causes, from the reasons in any language (``grading``).
KERNEL_FAILED = N_("the kernel could not start: {error}. {log}")
STORED_OUTPUT_BYTES = 1_000_000  # what the autograded notebook keeps of a notebook's output
# The largest channel message (a request or a report, as JSON). A correct answer's report for
# the course's largest exercise is about 8 KB (the intake tests measure every
# exercise's); a wrong answer's can carry a traceback of up to 25 KB per case.
MAX_CHANNEL_BYTES = 2 * 2**20
# What libzmq lets through in one frame, above the output cap: the JSON envelope of a message.
ENVELOPE_BYTES = 64 * 1024
_REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")

# (exercise name, hidden?, grade id of the running test cell, n-th request in it) -> cases
CaseMaker = Callable[[str, bool, str, int], list]


@dataclass
class Request:
    """One check's call while grading: the cases it got and the outputs it reported."""

    exercise: str
    hidden: bool
    cases: list | None = None
    outputs: str | None = None  # the wire payload as reported, decoded by the judge
    problem: str | None = None


@dataclass
class CellRun:
    """What happened to one code cell: ``ok``, ``error``, ``timeout``, ``died``, ``output``
    (stopped for printing too much), ``memory`` (a MemoryError) or ``not run``."""

    status: str = "not run"
    error: str | None = None
    seconds: float = 0.0
    requests: list[Request] = field(default_factory=list)


def client_context(limits: Limits) -> zmq.asyncio.Context:
    """A ZeroMQ context whose sockets drop, unread, any frame larger than the output cap
    (with room for its JSON envelope): what a kernel's client is made from, so that the
    grader never receives and decodes a message it would refuse anyway."""
    context = zmq.asyncio.Context()
    context.setsockopt(zmq.MAXMSGSIZE, int(limits.output_mb * 2**20) + ENVELOPE_BYTES)
    return context


class _Client(NotebookClient):
    """nbclient with the grading channel and an output cap wired into message handling."""

    def __init__(self, nb: Any, km: SandboxedKernelManager, runner: "Runner") -> None:
        super().__init__(
            nb,
            km=km,
            timeout=int(runner.limits.timeout),
            allow_errors=True,
            shutdown_kernel="immediate",
            record_timing=False,
            iopub_timeout=10,
            startup_timeout=120,
        )
        self.runner = runner
        self.timeout_func = lambda cell: runner.cell_timeout()

    def process_message(self, msg: dict, cell: Any, cell_index: int) -> Any:
        content = msg.get("content") or {}
        data = content.get("data") if isinstance(content, dict) else None
        size = (
            len(json.dumps(content, default=str))
            if msg.get("msg_type")
            not in (
                "status",
                "execute_input",
            )
            else 0
        )
        if (
            msg.get("msg_type") in ("display_data", "update_display_data")
            and isinstance(data, dict)
            and MIME in data
        ):
            self.runner.count_output(size, store=False)
            if not self.runner.runaway:
                self.runner.on_channel(data[MIME], cell_index, size)
            return None
        kept = self.runner.count_output(size)
        # Past the cap the cell's error and its end still count: they decide its status.
        ends = msg.get("msg_type") == "error" or (
            msg.get("msg_type") == "status" and content.get("execution_state") == "idle"
        )
        if kept or ends:
            return super().process_message(msg, cell, cell_index)
        if not self.runner.runaway and not self.runner.truncated:
            self.runner.truncated = True
            note = "\n[autograder: the rest of the output is not kept]\n"
            cell.setdefault("outputs", []).append(
                nbformat.v4.new_output("stream", name="stdout", text=note)
            )
        return None


class Runner:
    """Executes ``nb`` (already sanitised) in ``job``; ``test_cells`` maps the index of each
    test cell to its grade id, and ``make_cases`` (a ``CaseMaker``) picks cases."""

    def __init__(
        self,
        nb: Any,
        job: Job,
        limits: Limits,
        test_cells: dict[int, str],
        make_cases: CaseMaker,
    ) -> None:
        self.nb = nb
        self.job = job
        self.limits = limits
        self.test_cells = test_cells
        self.make_cases = make_cases
        self.runs = [CellRun() for _ in nb.cells]
        self.pending: dict[str, Request] = {}
        self.current: int | None = None
        self.printed = 0
        self.stored = 0
        self.runaway: str | None = None  # why the kernel was stopped, while it is a runaway
        self.truncated = False
        self.client: _Client | None = None
        self.kernel_log = ""
        self.stopping: asyncio.Task | None = None  # held: the loop keeps only a weak reference
        self.context: zmq.asyncio.Context | None = None  # the client's, while a kernel runs
        self.watching: list[asyncio.Task] = []  # one ``_watch`` per socket of the client
        self.disconnected = False  # a socket lost the kernel during this kernel's life
        self.deadline = math.inf

    # --- the channel ---------------------------------------------------------------

    def _answer(self, request_id: str, value: Any) -> None:
        path = self.job.inbox / f"{request_id}.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(wire.dumps(value), encoding="utf-8")
        temporary.chmod(0o644)
        temporary.rename(path)  # atomic: the kernel never reads half a file

    def on_channel(self, message: Any, cell_index: int, size: int) -> None:
        """Serve a check's request or record its report; ``size`` is the message's JSON size."""
        if not isinstance(message, dict) or cell_index != self.current:
            return
        request_id = message.get("id")
        if not isinstance(request_id, str) or not _REQUEST_ID.match(request_id):
            return
        run = self.runs[cell_index]
        if size > MAX_CHANNEL_BYTES:
            request = self.pending.get(request_id)
            problem = _(
                "The check's message was {size:.1f} MB; the grader reads at most {limit} MB, "
                "so the answer was not judged."
            ).format(size=size / 2**20, limit=MAX_CHANNEL_BYTES // 2**20)
            if request is not None and request in run.requests:
                request.problem = problem
            elif message.get("kind") == "request":
                self._answer(request_id, wire.RemoteError("Refused", problem))
            return
        if message.get("kind") == "request":
            exercise, hidden = message.get("exercise"), message.get("hidden")
            malformed = not isinstance(exercise, str) or type(hidden) is not bool
            if request_id in self.pending or malformed:
                return
            if cell_index not in self.test_cells:
                self._answer(
                    request_id,
                    wire.RemoteError(
                        "Refused", _("While grading, checks run only in the notebook's test cells.")
                    ),
                )
                return
            request = Request(exercise, hidden)
            self.pending[request_id] = request
            run.requests.append(request)
            grade_id = self.test_cells[cell_index]
            try:
                request.cases = self.make_cases(exercise, hidden, grade_id, len(run.requests))
            except Exception as error:  # an unknown exercise or a case that cannot be sent
                request.problem = str(error)
                self._answer(request_id, wire.RemoteError("Refused", str(error)))
                return
            self._answer(request_id, request.cases)
        elif message.get("kind") == "result":
            request = self.pending.get(request_id)
            outputs = message.get("outputs")
            if request is None or request not in run.requests:
                return
            if request.outputs is not None:
                request.problem = _("The check reported twice; the answer interfered with grading.")
            elif not isinstance(outputs, str):
                request.problem = _("The check's report was malformed.")
            else:
                request.outputs = outputs

    def count_output(self, size: int, store: bool = True) -> bool:
        """Account for ``size`` bytes the cell sent; False when they should not be stored
        (``store`` is False for channel messages, which are never stored)."""
        self.printed += size
        if self.printed > self.limits.output_mb * 2**20:
            self.stop_runaway(
                _("the cell printed more than {limit:g} MB").format(limit=self.limits.output_mb)
            )
        if self.runaway or not store:
            return False
        self.stored += size
        return self.stored <= STORED_OUTPUT_BYTES

    def stop_runaway(self, reason: str) -> None:
        """Stop the kernel for ``reason``; the running cell ends with status ``output``."""
        if self.runaway:
            return
        self.runaway = reason
        if self.client is not None and self.client.km is not None:
            self.stopping = asyncio.ensure_future(self.client.km.shutdown_kernel(now=True))

    def cell_timeout(self) -> int:
        """Seconds the next cell may run: the per-cell limit, or what is left of the
        notebook's, whichever ends first."""
        left = self.deadline - time.monotonic()
        return max(1, math.ceil(min(self.limits.timeout, left)))

    def _out_of_time(self) -> bool:
        return time.monotonic() >= self.deadline

    # --- execution -----------------------------------------------------------------

    async def _start(self) -> None:
        # Passed in, so neither the manager nor the client destroys it: ``_stop`` does.
        self.context = context = client_context(self.limits)
        km = SandboxedKernelManager(self.job, self.limits, context=context)
        self.client = _Client(self.nb, km, self)
        log = open(self.job.root / "kernel.log", "ab")  # noqa: SIM115 - closed in _stop
        self._log = log
        await self.client.async_start_new_kernel(stdout=log, stderr=log)
        # nbclient's own start, with the client's sockets made from the capped context.
        km.client = functools.partial(type(km).client, km, context=context)
        await self.client.async_start_new_kernel_client()
        kc = self.client.kc
        self.disconnected = False
        self.watching = [
            asyncio.ensure_future(self._watch(channel.socket))
            for channel in (
                kc.iopub_channel,
                kc.shell_channel,
                kc.control_channel,
                kc.stdin_channel,
            )
        ]

    async def _watch(self, socket: zmq.Socket) -> None:
        """Stop the kernel as a runaway when libzmq drops its connection to ``socket`` while
        the kernel lives: what a frame larger than ``MAXMSGSIZE`` does."""
        monitor = socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        try:
            await monitor.recv_multipart()
            self.disconnected = True
            await asyncio.sleep(0.5)  # a kernel that died closes its sockets too
            km = self.client.km if self.client else None
            if km is not None and await km.is_alive():
                self.stop_runaway(
                    _(
                        "the cell printed more than {limit:g} MB in one message, which was "
                        "dropped unread"
                    ).format(limit=self.limits.output_mb)
                )
        finally:
            with contextlib.suppress(zmq.ZMQError):  # the socket may be closed already
                socket.disable_monitor()
            monitor.close(linger=0)

    async def _stop(self) -> None:
        for task in self.watching:
            task.cancel()
        await asyncio.gather(*self.watching, return_exceptions=True)
        self.watching = []
        if self.stopping is not None:  # a runaway's shutdown uses the context destroyed below
            await asyncio.gather(self.stopping, return_exceptions=True)
            self.stopping = None
        if self.client is not None:
            try:
                await self.client._async_cleanup_kernel()
            except Exception:  # the kernel may already be gone; nothing left to stop
                pass
            self.client = None
        if self.context is not None:
            self.context.destroy(linger=0)  # and its I/O thread with it
            self.context = None
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None
        try:
            self.kernel_log = (self.job.root / "kernel.log").read_text(errors="replace")[-4000:]
        except OSError:
            pass

    def _clear_inbox(self) -> None:
        for path in self.job.inbox.iterdir():
            path.unlink(missing_ok=True)

    async def _execute(self, index: int, store: bool) -> tuple[str, str | None]:
        """Run cell ``index``; its status and, for errors, ``ename: evalue``."""
        assert self.client is not None
        original = self.nb.cells[index]
        # A replayed cell runs on a copy: its outputs were recorded the first time.
        cell = original if store else nbformat.from_dict(original)
        self.current = index
        self.printed = 0
        try:
            await self.client.async_execute_cell(cell, index)
        except CellTimeoutError:
            if self._out_of_time():
                return "timeout", self._notebook_time()
            return "timeout", _("the cell ran for more than {limit:g} seconds").format(
                limit=self.limits.timeout
            )
        except DeadKernelError:
            if self.runaway:
                return "output", self.runaway
            return "died", self._death()
        finally:
            self.current = None
            self._clear_inbox()
            self.nb.cells[index] = original
        if self.disconnected:  # wait for ``_watch`` to tell a dropped message from a death
            await asyncio.wait(self.watching, timeout=5, return_when=asyncio.FIRST_COMPLETED)
        if self.runaway:
            return "output", self.runaway
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                if output.get("ename") == "MemoryError":
                    # Whatever filled the memory may still hold it: start afresh without it.
                    return "memory", _(
                        "the cell ran out of memory (the limit is {limit} MB)"
                    ).format(limit=self.limits.memory_mb)
                return "error", f"{output.get('ename')}: {output.get('evalue')}"
        return "ok", None

    def _death(self) -> str:
        code = None
        km = self.client.km if self.client else None
        process = getattr(getattr(km, "provisioner", None), "process", None)
        if process is not None:
            code = process.poll()
        signals = {
            6: _("aborted"),
            9: _("was killed"),
            11: _("segmentation fault"),
            7: _("bus error"),
        }
        if code is not None and code > 128 and code - 128 in signals:
            return _("the kernel died ({what}, signal {signal})").format(
                what=signals[code - 128], signal=code - 128
            )
        if code is not None:
            return _("the kernel exited with status {code} (sys.exit or os._exit?)").format(
                code=code
            )
        return _("the kernel died")

    def _notebook_time(self) -> str:
        return _(
            "the notebook ran for more than {limit:g} seconds in all (--notebook-timeout)"
        ).format(limit=self.limits.notebook_timeout)

    async def run(self) -> list[CellRun]:
        """Execute every code cell; never raises for anything the notebook does."""
        self.deadline = time.monotonic() + self.limits.notebook_timeout
        code_cells = [i for i, c in enumerate(self.nb.cells) if c.cell_type == "code"]
        done: list[int] = []  # cells to replay after a restart
        failures = 0
        try:
            await self._start()
            for index in code_cells:
                if self._out_of_time():
                    self.runs[index].error = _("not run: {why}").format(why=self._notebook_time())
                    continue
                if failures >= MAX_FAILURES:
                    self.runs[index].error = _(
                        "not run: grading stopped after {count} cells timed out or crashed "
                        "the kernel"
                    ).format(count=MAX_FAILURES)
                    continue
                started = time.monotonic()
                status, error = await self._execute(index, store=True)
                run = self.runs[index]
                run.status, run.error = status, error
                run.seconds = time.monotonic() - started
                if status in ("ok", "error"):
                    if index not in self.test_cells:
                        done.append(index)
                    continue
                failures += 1
                await self._stop()
                if failures >= MAX_FAILURES or self._out_of_time():
                    continue
                failures = await self._restart(done, failures)
        except Exception as error:  # the kernel could not start: say so for every cell left
            await self._stop()  # reads the kernel's log, which says why
            reason = str(KERNEL_FAILED.format(error=error, log=self.kernel_log)).strip()
            for index in code_cells:
                if self.runs[index].status == "not run" and not self.runs[index].error:
                    self.runs[index].error = reason
        finally:
            await self._stop()
        return self.runs

    async def _restart(self, done: list[int], failures: int) -> int:
        """A fresh kernel with the state of the cells in ``done`` rebuilt."""
        self.runaway = None
        await self._start()
        for index in done:
            if self._out_of_time():
                return failures
            status, _ = await self._execute(index, store=False)
            if status not in ("ok", "error"):
                failures += 1
                await self._stop()
                if failures >= MAX_FAILURES:
                    return failures
                done.remove(index)
                return await self._restart(done, failures)
        return failures
