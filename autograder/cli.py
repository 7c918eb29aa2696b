"""``python -m autograder``: release the course, grade a class, check one notebook, run the demo.

``grade`` exits 0 when every submission got a row in ``grades.csv``, whatever the learners
did: their problems are rows with reasons, not failures of the run. It exits non-zero only
when the grades cannot be trusted or the input cannot be used: 1 for unusable input (no such
folder, a file that is not a zip, no assignments), 2 for bad options, 3 when grading itself
failed (the preflight's solution lost points, or every notebook failed for the same reason
of ours, such as kernels that cannot start).
"""

import argparse
import math
import sys
from pathlib import Path

from autograder import sandbox
from autograder.learner.i18n import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
STOPPED = 3  # the exit status when grading itself failed


def _limits(args: argparse.Namespace) -> sandbox.Limits:
    return sandbox.Limits(
        timeout=args.timeout, memory_mb=args.memory, notebook_timeout=args.notebook_timeout
    )


def cmd_release(args: argparse.Namespace) -> int:
    from autograder import release

    for lang in args.lang or release.editions(args.course):
        out = args.course / release.FOLDERS[lang]
        for name in release.release(args.course, lang):
            print(f"released {name} ({lang}): {args.course / 'solutions' / name} -> {out / name}")
    return 0


def cmd_translate(args: argparse.Namespace) -> int:
    from autograder import course, translation

    solutions, i18n = args.course / "solutions", args.course / "i18n"
    stale = []
    for assignment in course.assignments(solutions):
        for name in course.notebooks(solutions, assignment):
            notebook = solutions / assignment / f"{name}.ipynb"
            path = translation.translation_path(notebook, args.scaffold, solutions, i18n)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(
                translation.scaffold(notebook, args.scaffold, solutions, i18n), encoding="utf-8"
            )
            print(f"wrote {path}")
            stale += translation.stale_report(notebook, args.scaffold, solutions, i18n)
    for report in stale:
        print(f"\n{report}")
    if stale:
        print(
            f"\n{len(stale)} entries are stale: the English above changed since they were "
            "translated. Update each text, then set its en: hash to the new one shown."
        )
    return 0


def cmd_grade(args: argparse.Namespace) -> int:
    from autograder import grading, late, report

    options = grading.Options(
        jobs=args.jobs,
        db_url=args.db,
        limits=_limits(args),
        student=args.student,
        due=dict(map(late.parse_due, args.due)),
        assignment=args.assignment,
        exercise=args.exercise,
        lang=args.lang,
        scheduler=args.scheduler,
    )
    grader = grading.Grader(args.course, args.out, options)
    message = sandbox.warning(grader.level)
    if message:
        print(message, file=sys.stderr)
    outcome = grader.run(args.submissions)
    where = (
        f"on the workers of {args.scheduler}"
        if args.scheduler
        else f"with {args.jobs} kernels at a time"
    )
    print()
    print(report.summary(outcome.results))
    print()
    print(
        f"graded {outcome.graded} notebooks ({outcome.reused} unchanged since the last run) "
        f"in {outcome.seconds:.0f} s {where} (sandbox: {outcome.level})"
    )
    if outcome.problems:
        print(f"{len(outcome.problems)} things could not be graded; see grades.csv:")
        for problem in outcome.problems:
            where = "/".join(
                p for p in (problem.student, problem.assignment, problem.notebook) if p
            )
            print(f"  {report.clean(where)}: {report.clean(problem.reason)}")
    print(f"grades:   {outcome.csv}")
    print(f"feedback: {outcome.feedback}/<student>/<assignment>.html")
    print(f"gradebook: {options.db_url or outcome.out / 'gradebook.db'}")
    if outcome.failure:
        print(f"error: {report.clean(outcome.failure)}", file=sys.stderr)
        return STOPPED
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from autograder import selfcheck

    result = selfcheck.check(args.notebook, _limits(args), args.course, args.lang)
    print(selfcheck.render(result))
    return 0 if all(s.passed for s in result.scores if s.points is not None) else 1


def cmd_report(args: argparse.Namespace) -> int:
    from autograder import classreport

    page, view = classreport.write(args.out, args.course)
    print(classreport.summary(view))
    print(f"report: {page}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from autograder import export

    canvas_ids = dict(map(export.parse_canvas_id, args.canvas_id))
    print(f"{args.format}: {export.write(args.out, args.format, canvas_ids)}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from autograder import demo

    return demo.main(args.course, args.out, jobs=args.jobs)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m autograder",
        description="Release the course, grade a class with nbgrader's gradebook, and let "
        "learners check their own work.",
    )
    top.add_argument(
        "--course",
        type=Path,
        default=ROOT,
        help="folder holding solutions/ and course/ (default: this checkout)",
    )
    commands = top.add_subparsers(dest="command", required=True)

    def course_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--course",
            type=Path,
            default=argparse.SUPPRESS,
            help="folder holding solutions/ and course/ (default: this checkout)",
        )

    release = commands.add_parser(
        "release",
        help="regenerate the learners' notebooks from solutions/ (nbgrader "
        "generate_assignment): course/ in English and course-zh/ in Chinese",
    )
    release.add_argument(
        "--lang",
        action="append",
        choices=["en", "zh"],
        help="release this edition only (default: English and every "
        "language the course has translations of in i18n/, so one command "
        "keeps them all fresh); may be repeated",
    )
    course_option(release)
    release.set_defaults(run=cmd_release)

    translate = commands.add_parser(
        "translate",
        help="write or refresh the translation files i18n/<lang>/**.yml for "
        "translators, and show what changed in the English of stale entries",
    )
    translate.add_argument(
        "--scaffold",
        required=True,
        choices=["zh"],
        metavar="LANG",
        help="the language to scaffold (zh)",
    )
    course_option(translate)
    translate.set_defaults(run=cmd_translate)

    def limits(sub: argparse.ArgumentParser, timeout: float, notebook_timeout: float) -> None:
        sub.add_argument(
            "--timeout",
            type=float,
            default=timeout,
            help=f"seconds each cell may run (default {timeout:g})",
        )
        sub.add_argument(
            "--notebook-timeout",
            type=float,
            default=notebook_timeout,
            help="seconds a whole notebook may run, restarts included; the cells "
            f"left when it passes are not run (default {notebook_timeout:g})",
        )
        sub.add_argument(
            "--memory",
            type=int,
            default=4096,
            help="MB of address space for each kernel (default 4096)",
        )

    grade = commands.add_parser("grade", help="grade a class's submissions")
    grade.add_argument(
        "submissions",
        type=Path,
        help="folder of <student>/<assignment>/<notebook>.ipynb, or an LMS zip",
    )
    grade.add_argument(
        "--out",
        type=Path,
        required=True,
        help="where grades.csv, feedback/, the gradebook and results go",
    )
    grade.add_argument("--jobs", type=int, default=2, help="notebooks graded at once (default 2)")
    grade.add_argument("--db", help="gradebook SQLAlchemy URL (default: SQLite in --out)")
    grade.add_argument("--student", help="regrade this student only")
    grade.add_argument("--assignment", help="regrade this assignment only")
    grade.add_argument(
        "--exercise",
        metavar="ID",
        help="regrade only the test cells that check this exercise (its name, "
        "or a test cell's grade_id), keeping every other cached result",
    )
    grade.add_argument(
        "--due",
        action="append",
        default=[],
        metavar="ASSIGNMENT=ISO8601",
        help="store this due date in the gradebook (over nbgrader's own); the "
        "late policy is nbgrader's, set in the course's nbgrader_config.py",
    )
    grade.add_argument(
        "--lang",
        choices=LANGUAGES,
        help="the language of the reasons and feedback pages (default: each "
        "notebook's edition, English or Chinese)",
    )
    grade.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="grade on the workers of this Dask scheduler (each needs the "
        "course at the same --course path, its Python and bubblewrap); "
        "--jobs is then the cluster's to decide",
    )
    limits(grade, 120, 300)
    course_option(grade)
    grade.set_defaults(run=cmd_grade)

    check = commands.add_parser("check", help="check your own notebook on the visible tests")
    check.add_argument("notebook", type=Path)
    check.add_argument(
        "--lang",
        choices=LANGUAGES,
        help="the language of the messages (default: $RNN_COURSE_LANG, else the "
        "notebook's edition)",
    )
    limits(check, 300, 1800)
    course_option(check)
    check.set_defaults(run=cmd_check)

    class_report = commands.add_parser(
        "report",
        help="the class's scores, pass rates, common mistakes, late work, work "
        "flagged for review and similar answers, as OUT/report/index.html",
    )
    class_report.add_argument("out", type=Path, help="the folder grade wrote (its --out)")
    course_option(class_report)
    class_report.set_defaults(run=cmd_report)

    export = commands.add_parser(
        "export", help="grades as an LMS imports them (OUT/export/<format>.csv)"
    )
    export.add_argument("out", type=Path, help="the folder grade wrote (its --out)")
    export.add_argument("--format", required=True, help="canvas, moodle or csv")
    export.add_argument(
        "--canvas-id",
        action="append",
        default=[],
        metavar="ASSIGNMENT=ID",
        help="the Canvas assignment to update with this assignment's grades",
    )
    export.set_defaults(run=cmd_export)

    demo = commands.add_parser("demo", help="release, make sample submissions, grade them")
    demo.add_argument(
        "--out",
        type=Path,
        default=Path("build/demo"),
        help="where the demo writes (default build/demo)",
    )
    demo.add_argument("--jobs", type=int, default=2)
    course_option(demo)
    demo.set_defaults(run=cmd_demo)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "jobs", 1) < 1 or getattr(args, "jobs", 1) > 64:
        print("--jobs must be between 1 and 64.", file=sys.stderr)
        return 2
    if getattr(args, "notebook_timeout", math.inf) < getattr(args, "timeout", 0):
        print(
            f"--notebook-timeout ({args.notebook_timeout:g} s) is shorter than --timeout "
            f"({args.timeout:g} s), so no cell could use its time; raise --notebook-timeout "
            "to at least --timeout.",
            file=sys.stderr,
        )
        return 2
    try:
        return args.run(args)
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except Exception as error:
        # Imported only here: most commands never load the grader.
        from autograder.grading import Stopped

        if not isinstance(error, Stopped):
            raise
        print(f"error: {error}", file=sys.stderr)
        return STOPPED
