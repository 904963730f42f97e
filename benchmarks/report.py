"""The benchmark's table: each figure with its goal and a plain verdict, for the terminal and markdown."""

from __future__ import annotations

import datetime
import os
import platform
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Report", "machine_summary", "write_markdown"]

BEGIN = "<!-- results:begin (scripts/bench --markdown docs/benchmarks.md rewrites this block) -->"
END = "<!-- results:end -->"


def machine_summary() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"{platform.node()}: {os.cpu_count()} cores ({model}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; load average at start {load}"
    )


@dataclass(slots=True)
class Row:
    figure: str
    measured: str
    goal: str
    met: bool | None
    detail: str


@dataclass(slots=True)
class Report:
    machine: str
    started: datetime.datetime = field(default_factory=lambda: datetime.datetime.now(datetime.UTC))
    rows: list[Row] = field(default_factory=list)
    load_at_end: str = ""

    def add(
        self, figure: str, measured: str, *, goal: str = "", met: bool | None = None, detail: str = ""
    ) -> None:
        self.rows.append(Row(figure, measured, goal, met, detail))

    def finish(self) -> None:
        self.load_at_end = ", ".join(f"{value:.2f}" for value in os.getloadavg())

    @property
    def missed(self) -> list[Row]:
        return [row for row in self.rows if row.met is False]

    def _verdict(self, row: Row) -> str:
        return "" if row.met is None else ("met" if row.met else "MISSED")

    def table(self) -> str:
        headers = ("figure", "measured", "goal", "verdict")
        lines = [(row.figure, row.measured, row.goal, self._verdict(row)) for row in self.rows]
        widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(headers)]
        out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
        out.append("  ".join("-" * w for w in widths))
        for row, line in zip(self.rows, lines, strict=True):
            out.append("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
            if row.detail:
                out.append(" " * (widths[0] + 2) + row.detail)
        missed = self.missed
        out.append("")
        out.append(
            "every goal met"
            if not missed
            else "goals MISSED: " + "; ".join(f"{row.figure.strip()} ({row.measured})" for row in missed)
        )
        return "\n".join(out)

    def markdown(self) -> str:
        lines = [
            f"Last run: {self.started:%Y-%m-%d %H:%M} UTC on {self.machine};"
            f" load average at end {self.load_at_end}.",
            "",
            "| figure | measured | goal | verdict | detail |",
            "|---|---|---|---|---|",
        ]
        for row in self.rows:
            verdict = self._verdict(row)
            shown = f"**{verdict}**" if verdict == "MISSED" else verdict
            lines.append(f"| {row.figure.strip()} | {row.measured} | {row.goal} | {shown} | {row.detail} |")
        missed = self.missed
        lines.append("")
        lines.append(
            "Every goal was met in this run."
            if not missed
            else "Goals missed in this run: "
            + "; ".join(f"{r.figure.strip()} ({r.measured})" for r in missed)
            + "."
        )
        return "\n".join(lines)


def write_markdown(path: Path, report: Report) -> None:
    """Replace the results block of ``path``; the hand-written analysis around it stays."""
    block = f"{BEGIN}\n{report.markdown()}\n{END}"
    text = path.read_text(encoding="utf-8") if path.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text:
        text = text.rstrip("\n") + f"\n\n{BEGIN}\n{END}\n"
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)
    path.write_text(pattern.sub(lambda _: block, text, count=1), encoding="utf-8")
