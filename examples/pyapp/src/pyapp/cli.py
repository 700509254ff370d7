"""Counts the words of its input (a built-in text, or the file named first) in an in-memory
sqlite3 database, compresses the text with zlib, and prints both with tinytable. Exit code 3
when asked to (`--exit 3`), to show exit codes come through."""

import sqlite3
import sys
import zlib

import tinytable

TEXT = "the quick brown fox jumps over the lazy dog the fox"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--exit"]:
        return int(argv[1])
    text = open(argv[0], encoding="utf-8").read() if argv else TEXT
    db = sqlite3.connect(":memory:")
    db.execute("create table words (w text)")
    db.executemany("insert into words values (?)", [(w,) for w in text.split()])
    rows = db.execute(
        "select w, count(*) from words group by w order by count(*) desc, w limit 3"
    ).fetchall()
    print(tinytable.render(["word", "count"], rows))
    packed = zlib.compress(text.encode(), 9)
    assert zlib.decompress(packed) == text.encode()
    print(f"zlib {zlib.ZLIB_RUNTIME_VERSION}: {len(text)} -> {len(packed)} bytes")
    print(f"sqlite {sqlite3.sqlite_version}, python {sys.version_info[0]}.{sys.version_info[1]}")
    outside = [p for p in sys.path if not p.startswith(sys.prefix + "/")]
    print(f"sys.path entries outside the package: {len(outside)}")
    return 0
