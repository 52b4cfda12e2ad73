"""`python -m pcref.analytics.synth OUT_DIR [--people N] ...`: generate and print row counts."""

import argparse

from pcref.analytics.synth.generator import generate
from pcref.analytics.synth.model import FILE_FORMATS


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a synthetic PCREF extract.")
    parser.add_argument("out_dir")
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--start", default="2023-04-01")
    parser.add_argument("--format", default="csv", choices=FILE_FORMATS)
    parser.add_argument("--contacts-per-referral", type=float, default=18.0)
    args = parser.parse_args(argv)
    generate(
        args.out_dir,
        people=args.people,
        seed=args.seed,
        years=args.years,
        start=args.start,
        file_format=args.format,
        contacts_per_referral=args.contacts_per_referral,
        progress=print,
    )


if __name__ == "__main__":
    main()
