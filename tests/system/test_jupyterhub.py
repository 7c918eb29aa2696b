"""A class on JupyterHub, end to end: deploy/jupyterhub/ as shipped, on 127.0.0.1.

The test creates three Linux accounts (an instructor and two students, each home 0700, as
the instructors' README says), starts a real JupyterHub with ``jupyterhub_config.py`` and
its proxy from the npm registry (``make hub-proxy``), and then, through the Hub's login
form and REST API and each person's own JupyterLab server:

1. everyone logs in; the Hub starts each one's server as their own Linux user;
2. roles: the instructor's server has formgrader (its page opens in a tab of its own) and
   the instructor may list the students; a student's server has no formgrader, its Lab
   leaves out formgrader's and the assignment-creation plugins, and a student may list no one;
3. the instructor releases 01_rnn_cell (formgrader's API, as its Release button does);
4. each student fetches it, writes an answer (alice the solution, bob the ``[h, x]``
   mistake in BasicRNNCell), and submits (the Assignments list's API); alice also Validates;
5. the instructor collects (formgrader), grades with ``python -m autograder grade`` into the
   course's gradebook, places the feedback pages with ``place_feedback.py`` (both run as the
   instructor), and releases feedback (formgrader); formgrader's API shows the grades;
6. each student fetches feedback and finds their own page, with their own score; neither
   can list the exchange's feedback, read the other's home, or reach the other's server.

Needs root (``useradd``; the spawner switches users), as CI runs. It fails, never skips.
Logs go to ``out/jupyterhub/``.
"""

import json
import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
import requests

pytestmark = pytest.mark.system

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "jupyterhub"
PROXY = DEPLOY / "node_modules" / ".bin" / "configurable-http-proxy"
OUT = ROOT / "out" / "jupyterhub"
ENV_BIN = Path(sys.executable).parent
COURSE_ID, ASSIGNMENT, NOTEBOOK = "rnn-course", "01_rnn_cell", "rnn_cell"
# Names no real account has; an interrupted run's leftovers are removed first.
INSTRUCTOR = "rnnhub-teacher"
ALICE, BOB = "rnnhub-alice", "rnnhub-bob"
STUDENTS = (ALICE, BOB)
PEOPLE = (INSTRUCTOR, *STUDENTS)
POINTS = {"basic_rnn_cell_test": 3, "unroll_test": 2}
# JupyterLab's nbgrader plugins a student's Lab leaves out (jupyter/students/labconfig).
STUDENT_HIDDEN = {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment"}
TIMEOUT = 120  # seconds for anything that starts a server or a kernel on two busy cores


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _solution(source: str) -> str:
    return re.sub(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n", "", source, flags=re.M)


def _answers() -> dict[str, dict[str, str]]:
    """Each student's answer cells by grade_id, from solutions/ (never typed out here)."""
    source = nbformat.read(ROOT / "solutions" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    solved = {
        c.metadata["nbgrader"]["grade_id"]: _solution(c.source)
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    mistaken = dict(solved)
    mistaken["basic_rnn_cell_answer"] = solved["basic_rnn_cell_answer"].replace(
        "[inputs, h_prev]", "[h_prev, inputs]"
    )
    assert mistaken != solved, "the solution no longer reads [inputs, h_prev]"
    return {ALICE: solved, BOB: mistaken}


# --- Linux accounts ------------------------------------------------------------------


def _remove_account(name: str) -> None:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return
    _end_processes(name)
    subprocess.run(["userdel", "--remove", name], capture_output=True, check=False)


def _end_processes(name: str) -> None:
    """Kernels or servers of this test's own accounts that outlived the Hub, by pid."""
    found = subprocess.run(["pgrep", "-u", name], capture_output=True, text=True).stdout
    for pid in found.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture
def accounts():
    if os.geteuid() != 0:
        pytest.fail(
            "the JupyterHub test creates Linux accounts and runs JupyterHub's "
            "LocalProcessSpawner: run it as root (CI does)"
        )
    for name in PEOPLE:
        _remove_account(name)
        # The README's command: a home only its owner can enter.
        subprocess.run(
            ["useradd", "--create-home", "--key", "HOME_MODE=0700", "--shell", "/bin/bash", name],
            check=True,
        )
    yield {name: pwd.getpwnam(name) for name in PEOPLE}
    for name in PEOPLE:
        _remove_account(name)


def _blocked(path: Path) -> list[Path]:
    """``path`` and the folders above it that other accounts cannot pass through, deepest
    first."""
    return [p for p in (path, *path.parents) if p != Path("/") and not p.stat().st_mode & 0o001]


def _reachable_python(work: Path) -> list[str]:
    """A command prefix under which every account can run this Python and this checkout.

    A class's environment must be readable by all its accounts (the README installs it in
    /opt). Where this Python, its virtual environment or this checkout lie in or under a
    folder only root may enter (pyenv in root's 0700 home, as here and in CI; a checkout
    cloned into ``mktemp -d``), what follows the prefix runs in a private mount namespace
    where the outermost such folder is an empty one holding only those, bound back
    read-only (grading kernels get such binds from bubblewrap). A bind keeps its folder's
    mode, so a folder that is itself closed is rebuilt open, its entries bound one by one.
    Nothing outside the namespace changes, and nothing else of root's home is visible in it."""
    wanted = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), ROOT}
    keep = sorted(
        p for p in wanted if _blocked(p) and not any(o != p and o in p.parents for o in wanted)
    )
    if not keep:
        return []
    tops = sorted({_blocked(p)[-1] for p in keep})
    steps = ["set -e", "umask 022"]  # the folders made here must be open to every account
    holds = []
    for number, path in enumerate(keep):
        hold = work / "keep" / str(number)
        hold.mkdir(parents=True)
        holds.append(hold)
        steps.append(f"mount --bind {shlex.quote(str(path))} {shlex.quote(str(hold))}")
    steps += [
        f"mount -t tmpfs -o mode=0755,size=1m class-env {shlex.quote(str(top))}" for top in tops
    ]
    for path, hold in zip(keep, holds, strict=True):
        if _blocked(path)[0] == path:  # closed itself: made anew, open, its entries bound
            steps.append(f"mkdir -p {shlex.quote(str(path))}")
            for entry in sorted(path.iterdir()):
                steps += _bind_back(hold / entry.name, entry)
        else:
            steps += _bind_back(hold, path)
    steps.append('exec "$@"')
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", "; ".join(steps), "sh"]


def _bind_back(source: Path, target: Path) -> list[str]:
    """Shell steps that show ``source`` read-only at ``target`` (a link is made again, since
    a bind would follow it)."""
    src, dst = shlex.quote(str(source)), shlex.quote(str(target))
    if target.is_symlink():
        return [f"ln -s {shlex.quote(os.readlink(target))} {dst}"]
    make = f"mkdir -p {dst}" if target.is_dir() else f"touch {dst}"
    return [make, f"mount --bind {src} {dst}", f"mount -o remount,bind,ro {dst}"]


def _as(
    wrap: list[str], user: pwd.struct_passwd, argv: list[str], cwd: Path
) -> subprocess.CompletedProcess:
    """Run a command as ``user`` with a login's plain environment, as a terminal would."""
    env = {
        "HOME": user.pw_dir,
        "USER": user.pw_name,
        "LOGNAME": user.pw_name,
        "PATH": os.pathsep.join([str(ENV_BIN), "/usr/bin", "/bin"]),
        "LANG": "C.UTF-8",
    }
    command = [
        *wrap,
        "runuser",
        "-u",
        user.pw_name,
        "--",
        "env",
        "-i",
        *(f"{k}={v}" for k, v in env.items()),
        *argv,
    ]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)


# --- the Hub -------------------------------------------------------------------------


class Hub:
    def __init__(self, work: Path, exchange: Path, wrap: list[str]) -> None:
        self.work = work
        self.state = work / "hub"
        self.state.mkdir(mode=0o700)
        self.password = secrets.token_urlsafe(16)
        port = _free_port()
        self.base = f"http://127.0.0.1:{port}"
        # deploy/jupyterhub/jupyterhub_config.py as shipped, then only what a test must
        # change: ports, state files, the class list, the exchange, and a shared-password
        # login instead of PAM (the accounts have no passwords).
        config = self.state / "test_config.py"
        config.write_text(f"""
c = get_config()  # noqa
load_subconfig({str(DEPLOY / "jupyterhub_config.py")!r})
c.JupyterHub.bind_url = {self.base!r}
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{_free_port()}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{_free_port()}"
c.JupyterHub.db_url = "sqlite:///{self.state / "jupyterhub.sqlite"}"
c.JupyterHub.cookie_secret_file = {str(self.state / "cookie_secret")!r}
c.ConfigurableHTTPProxy.pid_file = {str(self.state / "proxy.pid")!r}
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = {self.password!r}
c.Authenticator.allowed_users = {set(PEOPLE)!r}
c.JupyterHub.load_groups = {{"instructors": {{"users": [{INSTRUCTOR!r}]}},
                            "students": {{"users": {list(STUDENTS)!r}}}}}
c.Spawner.environment["NBGRADER_EXCHANGE"] = {str(exchange)!r}
""")
        self.log = work / "hub.log"
        env = dict(os.environ, PATH=os.pathsep.join([str(ENV_BIN), os.environ["PATH"]]))
        with open(self.log, "wb") as sink:
            self.process = subprocess.Popen(
                [*wrap, str(ENV_BIN / "jupyterhub"), "-f", str(config)],
                cwd=self.state,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_up()

    def _wait_up(self) -> None:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"JupyterHub exited:\n{self.log.read_text()[-5000:]}")
            try:
                if requests.get(f"{self.base}/hub/api/", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        pytest.fail(f"JupyterHub did not answer:\n{self.log.read_text()[-5000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            # JupyterHub stops every user's server and its proxy on SIGTERM.
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


class Person:
    """One logged-in person: a session through the Hub's login form, then an API token."""

    def __init__(self, hub: Hub, name: str) -> None:
        self.hub, self.name = hub, name
        session = requests.Session()
        session.get(f"{hub.base}/hub/login", timeout=30).raise_for_status()
        xsrf = session.cookies.get("_xsrf")
        reply = session.post(
            f"{hub.base}/hub/login",
            data={"username": name, "password": hub.password, "_xsrf": xsrf},
            allow_redirects=False,
            timeout=30,
        )
        assert reply.status_code == 302, f"{name} could not log in: {reply.status_code}"
        xsrf = session.cookies.get("_xsrf")  # a new one, bound to the login
        # A token as the Hub's token page makes one: the person's own permissions.
        reply = session.post(
            f"{hub.base}/hub/api/users/{name}/tokens",
            json={"note": "class test", "expires_in": 3600},
            headers={"X-XSRFToken": xsrf},
            timeout=30,
        )
        reply.raise_for_status()
        self.api = requests.Session()
        self.api.headers["Authorization"] = f"token {reply.json()['token']}"

    def hub_api(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.api.request(
            method, f"{self.hub.base}/hub/api/{path}", timeout=TIMEOUT, **kwargs
        )

    def server(
        self, method: str, path: str, user: str | None = None, **kwargs
    ) -> requests.Response:
        """A request to a JupyterLab server (this person's own unless ``user``)."""
        return self.api.request(
            method,
            f"{self.hub.base}/user/{user or self.name}/{path}",
            timeout=TIMEOUT,
            allow_redirects=False,
            **kwargs,
        )

    def ok(self, method: str, path: str, **kwargs) -> dict:
        """A server request that must succeed, in HTTP and in nbgrader's own answer."""
        reply = self.server(method, path, **kwargs)
        assert reply.status_code in (200, 201), (
            f"{self.name} {path}: {reply.status_code} {reply.text[:2000]}"
        )
        body = reply.json() if reply.text else {}
        if isinstance(body, dict) and body.get("success") is False:
            pytest.fail(f"{self.name} {path}: {json.dumps(body)[:3000]}")
        return body

    def start(self) -> None:
        reply = self.hub_api("POST", f"users/{self.name}/server")
        assert reply.status_code in (201, 202), reply.text

    def wait_ready(self) -> None:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            server = self.hub_api("GET", f"users/{self.name}").json()["servers"].get("", {})
            if server.get("ready"):
                return
            time.sleep(0.5)
        pytest.fail(f"{self.name}'s server did not start:\n{self.hub.log.read_text()[-5000:]}")


def _lab_page_config(person: "Person") -> dict:
    """The settings JupyterLab's page hands the browser, which plugins it leaves out among
    them, as the person's own browser would receive them."""
    page = person.api.get(f"{person.hub.base}/user/{person.name}/lab", timeout=TIMEOUT)
    page.raise_for_status()
    found = re.search(
        r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page.text, re.S
    )
    assert found, page.text[:1000]
    return json.loads(found.group(1))


# --- the class -----------------------------------------------------------------------


def test_a_class_on_jupyterhub(accounts):
    if not PROXY.exists():
        pytest.fail(
            f"JupyterHub's proxy is missing at {PROXY}: run `make hub-proxy` (make test does)"
        )
    answers = _answers()
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    # Students must reach the exchange: a folder all can enter, not the 0700 pytest tmp.
    work = Path(tempfile.mkdtemp(prefix="rnn-hub-"))
    work.chmod(0o755)
    exchange = work / "exchange"
    exchange.mkdir()
    exchange.chmod(0o1777)  # as the README's install -d -m 1777 makes it
    teacher = accounts[INSTRUCTOR]
    course = Path(teacher.pw_dir) / "rnn-course"
    course.mkdir()
    for name in ("solutions", "course"):
        shutil.copytree(ROOT / name, course / name)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    subprocess.run(["chown", "-R", f"{teacher.pw_uid}:{teacher.pw_gid}", str(course)], check=True)

    timings: dict[str, float] = {}
    hub = None
    try:
        started = time.monotonic()
        wrap = _reachable_python(work)
        hub = Hub(work, exchange, wrap)
        people = {name: Person(hub, name) for name in PEOPLE}
        for person in people.values():
            person.start()
        for person in people.values():
            person.wait_ready()
        timings["hub, logins, 3 servers"] = time.monotonic() - started
        _class(hub, people, accounts, answers, course, exchange, wrap, timings)
    finally:
        if hub is not None:
            hub.stop()
            shutil.copy(hub.log, OUT / "hub.log")
        for name in PEOPLE:
            _end_processes(name)
        shutil.rmtree(work, ignore_errors=True)
    print("jupyterhub steps (s):", ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))


def _class(hub, people, accounts, answers, course, exchange, wrap, timings):
    teacher = people[INSTRUCTOR]
    step = time.monotonic()

    def lap(name: str) -> None:
        nonlocal step
        timings[name] = time.monotonic() - step
        step = time.monotonic()

    # 2. Roles: formgrader and the class list for the instructor only.
    assert teacher.server("GET", "formgrader/api/status").status_code == 200
    # Formgrader in a tab of its own, as the README says to open it (the Hub forbids the
    # frame that JupyterLab's menu would put it in).
    page = teacher.api.get(f"{hub.base}/user/{INSTRUCTOR}/formgrader", timeout=TIMEOUT)
    assert page.status_code == 200 and "Manage Assignments" in page.text, page.text[:500]
    for name in STUDENTS:
        assert people[name].server("GET", "formgrader/api/status").status_code == 404
        assert people[name].hub_api("GET", "users").status_code == 403
        disabled = _lab_page_config(people[name]).get("disabledExtensions", [])
        assert STUDENT_HIDDEN <= set(disabled), disabled
    assert not STUDENT_HIDDEN & set(_lab_page_config(teacher).get("disabledExtensions", []))
    group = teacher.hub_api("GET", "groups/students")
    assert group.status_code == 200 and sorted(group.json()["users"]) == sorted(STUDENTS)
    assert teacher.hub_api("GET", f"users/{INSTRUCTOR}").status_code == 200
    lap("roles")

    # 3. Release.
    teacher.ok("POST", f"formgrader/api/assignment/{ASSIGNMENT}/release")
    lap("release")

    # 4. Fetch, answer, submit.
    path = f"{ASSIGNMENT}/{NOTEBOOK}.ipynb"
    form = {"course_id": COURSE_ID, "assignment_id": ASSIGNMENT}
    for name in STUDENTS:
        student = people[name]
        listed = student.ok("GET", "assignments", params={"course_id": COURSE_ID})["value"]
        assert any(
            a["assignment_id"] == ASSIGNMENT and a["status"] == "released" for a in listed
        ), listed
        student.ok("POST", "assignments/fetch", data=form)
        model = student.ok("GET", f"api/contents/{path}")
        for cell in model["content"]["cells"]:
            grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
            if grade_id in answers[name]:
                cell["source"] = answers[name][grade_id]
        student.ok(
            "PUT",
            f"api/contents/{path}",
            json={"type": "notebook", "format": "json", "content": model["content"]},
        )
    validated = people[ALICE].ok("POST", "assignments/validate", data={"path": path})
    assert validated["success"] is True and "failed" not in json.dumps(validated["value"])
    for name in STUDENTS:
        people[name].ok("POST", "assignments/submit", data=form)
    lap("fetch, answer, validate, submit")

    # 5. Collect, grade with our autograder, place and release feedback.
    teacher.ok("POST", f"formgrader/api/assignment/{ASSIGNMENT}/collect")
    for name in STUDENTS:
        assert (course / "submitted" / name / ASSIGNMENT / f"{NOTEBOOK}.ipynb").is_file()
    lap("collect")
    instructor = accounts[INSTRUCTOR]
    graded = _as(
        wrap,
        instructor,
        [
            str(ENV_BIN / "python"),
            "-m",
            "autograder",
            "--course",
            str(course),
            "grade",
            str(course / "submitted"),
            "--out",
            str(course / "graded"),
            "--db",
            f"sqlite:///{course / 'gradebook.db'}",
            "--jobs",
            "2",
        ],
        cwd=course,
    )
    (OUT / "grade.log").write_text(graded.stdout + graded.stderr)
    assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
    lap("autograde (python -m autograder grade, 2 notebooks)")
    placed = _as(
        wrap,
        instructor,
        [
            str(ENV_BIN / "python"),
            str(DEPLOY / "place_feedback.py"),
            ASSIGNMENT,
            "--graded",
            "graded",
        ],
        cwd=course,
    )
    assert placed.returncode == 0, placed.stdout + placed.stderr
    teacher.ok("POST", f"formgrader/api/assignment/{ASSIGNMENT}/release_feedback")
    submissions = teacher.ok("GET", f"formgrader/api/submissions/{ASSIGNMENT}")
    scores = {s["student"]: s["score"] for s in submissions}
    assert scores == {ALICE: sum(POINTS.values()), BOB: POINTS["unroll_test"]}, submissions
    lap("place and release feedback")

    # 6. Each student's own feedback, and nothing of the other's.
    pages = {}
    for name in STUDENTS:
        student = people[name]
        student.ok("POST", "assignments/fetch_feedback", data=form)
        folder = student.ok("GET", f"api/contents/{ASSIGNMENT}/feedback")["content"]
        assert len(folder) == 1, folder  # one submission, one timestamped folder
        files = student.ok("GET", f"api/contents/{folder[0]['path']}")["content"]
        assert [f["name"] for f in files] == [f"{NOTEBOOK}.html"], files
        pages[name] = student.ok("GET", f"api/contents/{files[0]['path']}")["content"]
        (OUT / f"feedback-{name}.html").write_text(pages[name])
    total = sum(POINTS.values())
    assert f"<strong>{ALICE}</strong>" in pages[ALICE]
    assert f"<strong>{total:g} of {total:g}</strong>" in pages[ALICE]
    assert f"<strong>{BOB}</strong>" in pages[BOB]
    assert f"<strong>{POINTS['unroll_test']:g} of {total:g}</strong>" in pages[BOB]
    assert "[h, x] instead of [x, h]" in pages[BOB]
    assert BOB not in pages[ALICE] and ALICE not in pages[BOB]
    for name, other in ((ALICE, BOB), (BOB, ALICE)):
        assert people[name].server("GET", "api/contents", user=other).status_code in (403, 404)
        probe = _as(
            wrap,
            accounts[name],
            [
                str(ENV_BIN / "python"),
                "-c",
                "import os, sys\n"
                "for path in sys.argv[1:]:\n"
                "    try:\n"
                "        os.listdir(path)\n"
                "        print('READABLE', path)\n"
                "    except PermissionError:\n"
                "        print('denied', path)\n",
                str(exchange / COURSE_ID / "feedback"),
                str(exchange / COURSE_ID / "inbound"),
                accounts[other].pw_dir,
            ],
            cwd=Path(accounts[name].pw_dir),
        )
        assert probe.returncode == 0 and "READABLE" not in probe.stdout, probe.stdout
    lap("fetch feedback, isolation")
