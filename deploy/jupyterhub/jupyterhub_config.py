"""JupyterHub for a class taking the RNN course, on one machine.

Every person logs in with their Linux account (PAM) and gets their own JupyterLab, started
as that account in their home folder (``LocalProcessSpawner``), so the operating system
keeps each student's files from the others. nbgrader's exchange, a folder every account can
write into but not list, carries assignments out and submissions back. Two groups give the
two roles:

- ``instructors``: JupyterLab with formgrader, on the course folder ``~/rnn-course``
  (a clone of this repository); they release, collect, grade with ``python -m autograder``
  and return feedback. On the Hub they may see the class and restart a student's server.
- ``students``: JupyterLab with the Assignments list (fetch, Validate, submit, fetch
  feedback), without formgrader or the assignment-creation tools.

Run as root (it starts servers as other users), from the environment the course is
installed in:  ``jupyterhub -f deploy/jupyterhub/jupyterhub_config.py``. The instructors'
README beside this file says how to set the machine up; tests/system/test_jupyterhub.py runs this
file as it is, with its own ports, folders, accounts and a shared-password login.
"""

import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (JupyterHub defines get_config when it reads this file)

HERE = Path(__file__).resolve().parent
# The environment JupyterHub runs from holds the course, nbgrader and JupyterLab: every
# user's server and kernels run from it too.
ENV_BIN = Path(sys.executable).parent

# --- The class: Linux accounts (create them as the README says). For a long roster, read
# a file instead: STUDENTS = Path("/srv/rnn-course/students.txt").read_text().split()
INSTRUCTORS = ["instructor"]
STUDENTS = ["student1", "student2"]

c.Authenticator.allowed_users = set(INSTRUCTORS + STUDENTS)
c.JupyterHub.load_groups = {
    "instructors": {"users": INSTRUCTORS},
    "students": {"users": STUDENTS},
}
c.JupyterHub.load_roles = [
    {
        "name": "instructor",
        "description": "See the class's accounts and start or stop a student's server.",
        "groups": ["instructors"],
        # Not access:servers: an instructor does not enter a student's JupyterLab; work
        # reaches the instructor only by submission through the exchange.
        "scopes": [
            "list:users",
            "read:users!group=students",
            "read:groups!group=students",
            "servers!group=students",
        ],
    },
]

# --- Where things live.
c.JupyterHub.bind_url = "http://127.0.0.1:8000"  # put TLS in front (nginx, Caddy) for a class
STATE = Path("/srv/jupyterhub")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")
# The proxy from the npm registry, installed beside this file by `make hub-proxy`.
PROXY = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
if PROXY.exists():
    c.ConfigurableHTTPProxy.command = [str(PROXY)]

# --- Each user's JupyterLab.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(ENV_BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120


def _role_config(spawner) -> str:
    """JUPYTER_CONFIG_PATH for the user's server and kernels: the role's folder, then the
    settings both roles share (jupyter/ beside this file)."""
    groups = {group.name for group in spawner.user.groups}
    role = "instructors" if "instructors" in groups else "students"
    return os.pathsep.join([str(HERE / "jupyter" / role), str(HERE / "jupyter" / "common")])


c.Spawner.environment = {
    "JUPYTER_CONFIG_PATH": _role_config,
    # nbgrader's exchange (jupyter/common/nbgrader_config.py reads it): world-writable with
    # the sticky bit, as `install -d -m 1777 /srv/nbgrader/exchange` makes it.
    "NBGRADER_EXCHANGE": "/srv/nbgrader/exchange",
    # nbgrader runs alembic and the Lab's terminals run nbgrader from PATH.
    "PATH": os.pathsep.join([str(ENV_BIN), "/usr/local/bin", "/usr/bin", "/bin"]),
}
