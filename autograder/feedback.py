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
    got = sum(r.points - (r.late_penalty or 0.0) for r in results)
    awaiting = sum(r.awaiting for r in results)
    out_of = sum(r.max_points for r in results) - awaiting  # what automatic grading can give
    by_hand = (f" {awaiting:g} more are for written answers, awaiting the instructor."
               if awaiting else "")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">',
        f"<title>{escape(assignment)}: feedback for {escape(student)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{escape(assignment)}</h1>",
        f"<p>Student <strong>{escape(student)}</strong>: <strong>{got:g} of {out_of:g}"
        f"</strong> points from automatic grading.{by_hand}</p>",
    ]
    for result in sorted(results, key=lambda r: r.notebook):
        parts.append(f"<h2>{escape(result.notebook)}.ipynb: {result.points:g} / "
                     f"{result.max_points:g}</h2>")
        for note in result.notes:
            parts.append(f"<p>{escape(note)}</p>")
        if result.late_seconds > 0:
            parts.append(f'<p class="late">Late: '
                         f"{escape(late.describe(result.late_seconds, result.late_penalty))}.</p>")
        parts.append("<table><tr><th>exercise</th><th>points</th><th>why</th></tr>")
        for score in result.scores:
            if score.points is None:
                css, points = "hand", f"awaiting / {score.max_points:g}"
            else:
                css = "pass" if score.passed else "fail"
                points = f"{score.points:g} / {score.max_points:g}"
            why = "\n".join(filter(None, [score.reason, score.review]))
            # The mistake's id, small: what to quote when asking about it.
            tag = f'\n<span class="mistake">({escape(score.mistake)})</span>' if (
                score.mistake
            ) else ""
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
