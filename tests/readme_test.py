"""Every file is named in its folder's README.

The project explains itself from its own files: each top-level folder that
has a README.md must name, by file name, every entry directly in it — each
regular file except README.md, CMakeLists.txt and dotfiles, and each
subfolder as one name (tests/fixtures/, fuzz/corpus/, results/' dated
folders), whose contents are not checked here — except in the folders of
NESTED, whose subfolders with a README.md are checked the same way
(tools/peer/, tools/dev/: code arranged by role, each with its own README). A name counts when it appears
in the README as a whole word: `per_thread.h` does not name
`obmalloc_per_thread.h`, and `gil_interval.h`, `.cpp` does not name
`gil_interval.cpp`.

Prints one line per missing name — the file and the README to add it to —
and exits 1; exits 0 when nothing is missing. Reads the source tree only:
no build, no timing. Run by ctest with Debian's /usr/bin/python3, or by hand:

    /usr/bin/python3 tests/readme_test.py [SOURCE_ROOT]
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Not the project's folders: build trees (build/, the presets' build/*) and
# dotfolders (.git, .ci).
SKIP_FOLDERS = {"build"}
# Never named: the README itself, the folder's build file, and what tools
# leave behind (.gitignore keeps them out of the repository too).
SKIP_FILES = {"README.md", "CMakeLists.txt", "__pycache__"}
# Top-level folders whose subfolders with a README.md are checked too.
NESTED = {"tools"}


def names_in(folder):
    """The entries of `folder` its README must name: (name, is_folder)."""
    out = []
    for name in sorted(os.listdir(folder)):
        if name.startswith(".") or name in SKIP_FILES or name.endswith(".pyc"):
            continue
        path = os.path.join(folder, name)
        if os.path.isdir(path):
            out.append((name, True))
        elif os.path.isfile(path):
            out.append((name, False))
    return out


def is_named(name, text):
    """True when `name` appears in `text` as a whole word: not inside a
    longer name (no letter, digit, '_', '-' or '.' joined to either end,
    except a sentence's full stop after it)."""
    pattern = r"(?<![\w.-])" + re.escape(name) + r"(?![\w-])(?!\.\w)"
    return re.search(pattern, text) is not None


def folders(root):
    """The folders whose README is checked, relative to root, and the
    top-level folders with no README."""
    out, no_readme = [], []
    for top in sorted(os.listdir(root)):
        folder = os.path.join(root, top)
        if top.startswith(".") or top in SKIP_FOLDERS or not os.path.isdir(folder):
            continue
        if not os.path.isfile(os.path.join(folder, "README.md")):
            no_readme.append(top)
            continue
        out.append(top)
        if top in NESTED:
            for sub in sorted(os.listdir(folder)):
                if not sub.startswith(".") and os.path.isfile(os.path.join(folder, sub, "README.md")):
                    out.append(f"{top}/{sub}")
    return out, no_readme


def missing(root):
    """[(entry path, README path)] for every entry its README does not name,
    paths relative to `root`; and the top-level folders with no README."""
    gaps = []
    checked, no_readme = folders(root)
    for rel in checked:
        folder = os.path.join(root, rel)
        with open(os.path.join(folder, "README.md"), encoding="utf-8") as f:
            text = f.read()
        for name, is_folder in names_in(folder):
            if not is_named(name, text):
                gaps.append((f"{rel}/{name}" + ("/" if is_folder else ""), f"{rel}/README.md"))
    return gaps, no_readme


def self_test():
    """The matching rule on the cases that matter, so a loose regex cannot
    make the real check pass vacuously."""
    assert is_named("cli.cpp", "- `cli.cpp` — the command line")
    assert is_named("cli.cpp", "see experiments/cli.cpp.")
    assert is_named("fixtures", "`fixtures/` — record files")
    assert not is_named("cli.cpp", "`fuzz_cli.cpp` only")
    assert not is_named("per_thread.h", "`obmalloc_per_thread.h`")
    assert not is_named("gil_interval.cpp", "`gil_interval.h`, `.cpp`")
    assert not is_named("clock.h", "`clock.hpp`")
    assert not is_named("main.sh", "`main.sh.in`")


def main():
    self_test()
    root = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else ROOT
    gaps, no_readme = missing(root)
    for top in no_readme:
        print(f"readme_test: note: {top}/ has no README.md, so its files are not checked")
    for entry, readme in gaps:
        print(f"readme_test: {entry} is not named in {readme} (add a line saying what it is for)")
    if gaps:
        print(f"readme_test: FAILED: {len(gaps)} file(s) not named in their folder's README")
        return 1
    print("readme_test: every file is named in its folder's README")
    return 0


if __name__ == "__main__":
    sys.exit(main())
