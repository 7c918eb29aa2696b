"""Feedback a learner can act on: one HTML page per student and assignment.

Each graded cell gets its points and the reason in full: what was expected against what was
received, and the typical mistake it matched, as the checks worded it. The page holds no
timestamps, so regrading the same work writes the same bytes.

Everything on a page that a learner controls (their name, notebook names, reasons quoting
their errors) is HTML-escaped, and the page forbids scripts and loads nothing (its
Content-Security-Policy), so a learner's text cannot run in the browser that opens it.
"""

from html import escape
from pathlib import Path

from autograder import late
from autograder.i18n import _, using
from autograder.scoring import NotebookResult

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #1d1d1f; }
table { border-collapse: collapse; width: 100%; margin-bottom: 2rem; }
th, td { border-bottom: 1px solid #ddd; padding: .5rem; text-align: left; vertical-align: top; }
td.reason { white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: .9rem; }
.late { color: #a40e26; font-weight: bold; }
.pass { color: #116329; } .fail { color: #a40e26; } .hand { color: #6e5a00; }
.mistake { color: #6e7781; font-size: .8rem; }
"""

# Only the page's own <style>: no scripts, no images, no requests anywhere.
_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def page(student: str, assignment: str, results: list[NotebookResult]) -> str:
    """The feedback page, in the language the notebooks' reasons were written in."""
    lang = results[0].lang if results else "en"
    with using(lang):
        return _page(student, assignment, results, lang)


def _page(student: str, assignment: str, results: list[NotebookResult], lang: str) -> str:
    got = sum(r.points - (r.late_penalty or 0.0) for r in results)
    awaiting = sum(r.awaiting for r in results)
    out_of = sum(r.max_points for r in results) - awaiting  # what automatic grading can give
    by_hand = (
        _(" {points:g} more are for written answers, awaiting the instructor.").format(
            points=awaiting
        )
        if awaiting
        else ""
    )
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">',
        "<title>{}</title>".format(
            _("{assignment}: feedback for {student}").format(
                assignment=escape(assignment), student=escape(student)
            )
        ),
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{escape(assignment)}</h1>",
        "<p>{}{}</p>".format(
            _(
                "Student <strong>{student}</strong>: <strong>{got:g} of {out_of:g}</strong> points "
                "from automatic grading."
            ).format(student=escape(student), got=got, out_of=out_of),
            by_hand,
        ),
    ]
    for result in sorted(results, key=lambda r: r.notebook):
        parts.append(
            f"<h2>{escape(result.notebook)}.ipynb: {result.points:g} / {result.max_points:g}</h2>"
        )
        for note in result.notes:
            parts.append(f"<p>{escape(note)}</p>")
        if result.late_seconds > 0:
            described = escape(late.describe(result.late_seconds, result.late_penalty))
            parts.append('<p class="late">{}</p>'.format(_("Late: {late}.").format(late=described)))
        parts.append(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th></tr>".format(
                _("exercise"), _("points"), _("why")
            )
        )
        for score in result.scores:
            if score.points is None:
                css = "hand"
                points = _("awaiting / {points:g}").format(points=score.max_points)
            else:
                css = "pass" if score.passed else "fail"
                points = f"{score.points:g} / {score.max_points:g}"
            why = "\n".join(filter(None, [score.reason, score.review]))
            # The mistake's id, small: what to quote when asking about it.
            tag = (
                f'\n<span class="mistake">({escape(score.mistake)})</span>'
                if (score.mistake)
                else ""
            )
            parts.append(
                f'<tr class="{css}"><td>{escape(score.grade_id)}</td><td>{points}</td>'
                f'<td class="reason">{escape(why)}{tag}</td></tr>'
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write(folder: Path, results: list[NotebookResult]) -> list[Path]:
    """``folder/<student>/<assignment>.html`` for every student and assignment in ``results``."""
    groups: dict[tuple[str, str], list[NotebookResult]] = {}
    for result in results:
        groups.setdefault((result.student, result.assignment), []).append(result)
    written = []
    for (student, assignment), group in sorted(groups.items()):
        path = folder / student / f"{assignment}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page(student, assignment, group), encoding="utf-8")
        written.append(path)
    return written
