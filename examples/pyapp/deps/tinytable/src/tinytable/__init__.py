"""tinytable: format rows as an aligned text table."""

__version__ = "1.2.0"


def render(header, rows):
    """Returns header and rows as lines of columns padded to the widest cell."""
    table = [list(map(str, header))] + [list(map(str, r)) for r in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
