"""nbgrader settings every account on the Hub shares: the course and its exchange."""

import os

c = get_config()  # noqa: F821 (nbgrader defines get_config when it reads this file)
c.CourseDirectory.course_id = "rnn-course"
# Set by the Hub (jupyterhub_config.py); the default is nbgrader's own.
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", "/srv/nbgrader/exchange")
