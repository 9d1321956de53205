"""``python -m minimx.exercises``: the ``make-student`` and ``grade`` commands."""
import argparse
import sys

from .grader import grade
from .manifest import ExerciseError
from .student import make_student

__all__ = ["main"]


def _parser():
    p = argparse.ArgumentParser(prog="python -m minimx.exercises",
                                description="minimx's classroom exercise kit")
    sub = p.add_subparsers(dest="command", required=True)
    ms = sub.add_parser("make-student", help="write the student version (solutions stubbed)")
    ms.add_argument("out", help="the new folder: the root of the students' repository")
    ms.add_argument("--src", help="the teacher's exercises folder (default: found automatically)")
    ms.add_argument("--force", action="store_true", help="write into a non-empty folder")
    ms.add_argument("--requirement", default="minimx[test]",
                    help="the pip requirement for minimx written to requirements.txt")
    g = sub.add_parser("grade", help="run the tests and score each exercise")
    g.add_argument("--dir", help="the exercises folder (default: ., ./tutorials/exercises, "
                                 "or the repository's)")
    which = g.add_mutually_exclusive_group()
    which.add_argument("--unit", type=int, help="grade one unit")
    which.add_argument("--exercise", help="grade one exercise, e.g. 2.1")
    g.add_argument("--json", dest="json_path", help="write the JSON report here")
    g.add_argument("--fail-under", type=float, default=None,
                   help="exit with status 1 when the score is below this percentage")
    g.add_argument("-v", "--verbose", action="store_true", help="also print pytest's output")
    return p


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        if args.command == "make-student":
            result = make_student(args.out, src=args.src, force=args.force, requirement=args.requirement)
            n = sum(result["stubbed"].values())
            print(f"wrote {result['out']}: {n} solution regions stubbed in {len(result['files'])} files "
                  f"(exercises {', '.join(sorted(result['stubbed']))})")
            return 0
        report = grade(args.dir, unit=args.unit, exercise=args.exercise, json_path=args.json_path,
                       verbose=args.verbose)
        if args.fail_under is not None and report["percent"] < args.fail_under:
            return 1
        return 0
    except ExerciseError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
