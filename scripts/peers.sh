#!/usr/bin/env bash
# Builds the real interpreters rclab measures beside its models (the
# "peers"), reproducibly, into a cache outside the tree, and writes the peers
# file `rclab sweep --peers` reads (`rclab peers FILE` checks it). `--help` says how.
#
# CPython 3.13.15 comes from Debian's source packages: the upstream orig
# tarball of sid's python3.13 source package, fetched with a private apt
# configuration (its own sources.list, lists, cache and state under the
# cache folder; the machine's apt configuration is not touched), checked
# against the sha256 pinned here and the one in the .dsc, and built twice,
# default and --disable-gil, each with a default ./configure (no
# --enable-optimizations, no --with-lto), make -j2 and make install into its
# own prefix. Other source trees (the Gilectomy, nogil-3.9, ...) are built
# the same way with --tree.
#
# The build is minimal: beyond the compiler, make and xz, only zlib
# (install-deps.sh has them), which `make install`'s ensurepip needs. Without their -dev packages these
# optional modules are not built: _ssl and _hashlib (OpenSSL; hashlib's
# sha256 is then the built-in _sha2), _ctypes (libffi), _sqlite3, _bz2,
# _lzma, readline, _curses, _dbm/_gdbm, _tkinter and _uuid. Where a machine
# has those packages anyway, configure finds them and builds them too; each
# build prints the modules it skipped. None of them is used by
# tools/peer/peer_fib.py or workloads/ (peer_fib.py imports ctypes only on Python
# 2.7, which has no time.monotonic, and 2.7 is pyenv's, not built here).
#
# Running it again does nothing but say each build is present: a build is
# redone only when its stamp (source sha256 or tree fingerprint, configure
# arguments, make arguments) differs.
set -Eeuo pipefail
# Whatever fails unforeseen exits 1 (2 is kept for bad arguments).
trap 'echo "peers.sh: line $LINENO: a command failed (exit $?)" >&2; exit 1' ERR
caller_pwd=$PWD
cache=${RCLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rclab}
case $cache in /*) ;; *) cache=$caller_pwd/$cache ;; esac
cd "$(dirname "$0")/.."

# --- what is pinned ----------------------------------------------------------
PY_VERSION=3.13.15
DEB_SOURCE=python3.13
# sha256 of python3.13_3.13.15.orig.tar.xz, as Debian's python3.13 3.13.15-1
# .dsc lists it; the .dsc must agree.
ORIG_SHA256=1e66a7945a48390ee4c2a4268a0e4185884059a13c4aab6d148aa208deea4a76
APT_SOURCE='deb-src http://deb.debian.org/debian sid main'
MAKE_ARGS=(-j2)
NICE=(nice -n 19)  # a shared 2-core machine: the builds yield to everything else
STAMP_FORMAT=1     # bump when the recipe below changes, so every build is redone
DEFAULT_NAME=cpython-$PY_VERSION
FT_NAME=cpython-${PY_VERSION}t

peers_dir=$cache/peers

usage() {
  cat <<EOF
usage: scripts/peers.sh [--tree NAME=PATH[:CONFIGURE-ARGS]]... [--base NAME=BASE]...

Builds the real interpreters rclab runs beside its models, and writes the
peers file for \`rclab sweep --peers FILE\` (\`rclab peers FILE\` checks it).

  - CPython $PY_VERSION from Debian sid's $DEB_SOURCE source package (the
    upstream orig tarball, checked against its sha256), built twice:
    $DEFAULT_NAME (default ./configure) and $FT_NAME
    (--disable-gil, read against $DEFAULT_NAME, run with PYTHON_GIL=0), and
    the same build as $FT_NAME-gil, run with PYTHON_GIL=1;
  - each --tree: a CPython source tree at PATH, copied (PATH is left as it
    is), then ./configure --prefix=... CONFIGURE-ARGS, make -j2, make install.
    CONFIGURE-ARGS are split at spaces; a backslash keeps a space inside one
    argument ('CFLAGS=-O0\\ -fcommon'). Trees from before gcc 10 may need
    CFLAGS=-fcommon; a tree whose install step fails in ensurepip can take
    --without-ensurepip. PATH may not contain ':'. A tree whose interpreter
    is colesbury/nogil (sys.flags.nogil) is written twice, as NAME-gil-on
    (PYTHONGIL=1) and NAME-gil-off (PYTHONGIL=0, read against NAME-gil-on);
  - --base NAME=BASE: the tree NAME's peer is read against the peer BASE
    (another tree's name, e.g. a fork point, or one of the peers below).

Also written when present (skipped with a message when not): pyenv's 2.7.18
and 3.6.15 (cpython-2.7, cpython-3.6) and Debian's /usr/bin/python3
(cpython-X.Y). Names may hold letters, digits and . _ + - and must not be
an rclab configuration's.

Builds go to \$RCLAB_CACHE (default \${XDG_CACHE_HOME:-\$HOME/.cache}/rclab),
now $cache:
  peers/NAME/          each build's prefix (bin/python...)
  peers/peers.json     the peers file
  src/Python-$PY_VERSION/  the extracted, unbuilt $PY_VERSION source, to read
  logs/NAME.log        each build's configure, make and install output
  download/, apt/      the tarball, its .dsc, and the private apt state

Runs scripts/install-deps.sh first. A second run rebuilds nothing that is
present: each build has a stamp of its source's sha256 (a tree's
fingerprint) and its configure and make arguments. Every build runs under
nice -n 19. Exit status: 0 done, 1 a fetch, check or build failed, 2 bad
arguments (one line on stderr, before any work).
EOF
}

bad() { echo "peers.sh: $*" >&2; exit 2; }
# Arguments as they would be typed: a space inside one is escaped.
quoted() { [ $# -gt 0 ] || return 0; local q; q=$(printf '%q ' "$@"); printf '%s' "${q% }"; }
die() { echo "peers.sh: $*" >&2; exit 1; }
say() { echo "peers: $*"; }

# --- arguments: all checked before any work -----------------------------------
name_re='^[A-Za-z0-9][A-Za-z0-9._+-]*$'
# Names rclab refuses for a peer: every configuration (from this tree's
# registry and its families' files, and from a built rclab when there is
# one) and "ceiling".
reserved_names() {
  perl -0777 -ne 'print "$1\n" while /make_entry<[^(]*\(\s*"([^"]+)"/g' experiments/registry.cpp experiments/configs/*.cpp
  if [ -x build/release/experiments/rclab ]; then
    build/release/experiments/rclab list 2>/dev/null | awk 'NR > 1 && /^[^ ]/ { print $1 }' || true
  fi
  echo ceiling
}
mapfile -t reserved < <(reserved_names | sort -u)
[ "${#reserved[@]}" -gt 20 ] || die "could not read the configuration names from experiments/registry.cpp and experiments/configs/"
is_reserved() { local r; for r in "${reserved[@]}"; do [ "$r" = "$1" ] && return 0; done; return 1; }
builtin_names=(cpython-2.7 cpython-3.6 "$DEFAULT_NAME" "$FT_NAME")  # cpython-X.Y: /usr/bin/python3's

tree_names=() tree_paths=() tree_args=() base_of=()
check_name() {  # NAME what
  [[ $1 =~ $name_re ]] || bad "$2: name '$1' must be letters, digits and . _ + - (no comma, space or |)"
  if is_reserved "$1"; then bad "$2: name '$1' is an rclab configuration's name"; fi
  local n
  for n in "${builtin_names[@]}" "${tree_names[@]}"; do
    [ "$n" != "$1" ] || bad "$2: name '$1' is taken"
  done
  [[ ! $1 =~ ^cpython-[0-9]+\.[0-9]+$ ]] || bad "$2: name '$1' is kept for the machine's own interpreters"
}
add_tree() {
  local spec=$1 name path args
  [[ $spec == *=* ]] || bad "--tree '$spec': expected NAME=PATH[:CONFIGURE-ARGS]"
  name=${spec%%=*}
  path=${spec#*=}
  args=
  if [[ $path == *:* ]]; then args=${path#*:}; path=${path%%:*}; fi
  check_name "$name" "--tree"
  check_name "$name-gil-on" "--tree"
  check_name "$name-gil-off" "--tree"
  [ -n "$path" ] || bad "--tree '$spec': empty PATH"
  case $path in /*) ;; *) path=$caller_pwd/$path ;; esac
  [ -d "$path" ] || bad "--tree $name: $path is not a directory"
  if [ ! -f "$path/configure" ] || [ ! -f "$path/Include/Python.h" ]; then
    bad "--tree $name: $path is not a CPython source tree (no configure and Include/Python.h)"
  fi
  tree_names+=("$name")
  tree_paths+=("$(cd "$path" && pwd -P)")
  tree_args+=("$args")
}
repo=$(pwd -P)
case $(realpath -m "$cache")/ in
  "$repo"/*) bad "the cache $cache is inside the repository: set RCLAB_CACHE to a folder outside it" ;;
esac
bases=()
while [ $# -gt 0 ]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --tree | --base)
      [ $# -ge 2 ] || bad "$1 needs a value (see --help)"
      if [ "$1" = --tree ]; then add_tree "$2"; else bases+=("$2"); fi
      shift 2 ;;
    --tree=*) add_tree "${1#--tree=}"; shift ;;
    --base=*) bases+=("${1#--base=}"); shift ;;
    *) bad "unknown argument '$1' (see --help)" ;;
  esac
done
index_of_tree() { local i; for i in "${!tree_names[@]}"; do [ "${tree_names[$i]}" = "$1" ] && { echo "$i"; return 0; }; done; return 1; }
for b in "${bases[@]}"; do
  [[ $b == *=* ]] || bad "--base '$b': expected NAME=BASE"
  n=${b%%=*} base=${b#*=}
  i=$(index_of_tree "$n") || bad "--base $b: '$n' is not a --tree name"
  [ -z "${base_of[$i]:-}" ] || bad "--base: '$n' is given a base twice"
  case $base in "$n" | "$n-gil-on" | "$n-gil-off") bad "--base $b: a tree cannot be read against itself" ;; esac
  known=no
  for k in "${builtin_names[@]}" "${tree_names[@]}"; do
    case $base in "$k" | "$k-gil-on" | "$k-gil-off") known=yes ;; esac
  done
  if [[ $base =~ ^cpython-[0-9]+\.[0-9]+$ ]]; then known=yes; fi
  [ $known = yes ] || bad "--base $b: '$base' is not a peer this script writes"
  base_of[i]=$base
done

# --- helpers -------------------------------------------------------------------
hms() { local s=$1; if [ "$s" -ge 60 ]; then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi; }

# The interpreter a prefix's `make install` put there, by its real path.
installed_python() {
  local c
  for c in python3 python3t python; do
    if [ -x "$1/bin/$c" ]; then readlink -f "$1/bin/$c"; return 0; fi
  done
  return 1
}

# sha256 of the orig tarball as the .dsc's Checksums-Sha256 field lists it.
dsc_sha256() {  # DSC FILE
  awk -v f="$2" '
    /^Checksums-Sha256:/ { in_field = 1; next }
    in_field && /^ / { if ($3 == f) print $1; next }
    { in_field = 0 }' "$1"
}

orig=
orig_dsc=
# Brings the orig tarball into $cache/download (once), checked.
fetch_orig() {
  local dl=$cache/download apt=$cache/apt
  local file=${DEB_SOURCE}_$PY_VERSION.orig.tar.xz
  mkdir -p "$dl"
  orig=$dl/$file
  # Already here from an earlier run: check it again, fetch nothing.
  orig_dsc=$(find "$dl" -maxdepth 1 -name "${DEB_SOURCE}_$PY_VERSION-*.dsc" | sort -V | tail -n 1)
  if [ -n "$orig_dsc" ] && [ -f "$orig" ] && check_orig quiet; then
    say "$file: present, sha256 checked against $(basename "$orig_dsc") and the pinned one"
    return 0
  fi

  say "fetching $DEB_SOURCE $PY_VERSION's source from Debian sid (private apt state in $apt)"
  mkdir -p "$apt/state/lists/partial" "$apt/cache/archives/partial" "$cache/logs"
  printf '%s\n' "$APT_SOURCE" >"$apt/sources.list"
  # The machine's own sources, lists and caches are left alone. apt drops to
  # the _apt user to download, who may not enter a cache under a private
  # home: run as ourselves; every file is still checked against the signed
  # index (and the tarball against the hashes below).
  local o=(-o "Dir::Etc::sourcelist=$apt/sources.list" -o Dir::Etc::sourceparts=-
           -o "Dir::State=$apt/state" -o "Dir::Cache=$apt/cache"
           -o "APT::Sandbox::User=$(id -un)")
  local log=$cache/logs/apt.log
  apt-get "${o[@]}" update >"$log" 2>&1 || { tail -n 20 "$log" >&2; die "apt-get update of sid's sources failed (log: $log)"; }
  local versions want newest
  versions=$(apt-cache "${o[@]}" showsrc "$DEB_SOURCE" 2>>"$log" | awk '/^Version:/ { print $2 }' | sort -uV)
  newest=$(tail -n 1 <<<"$versions")
  [ -n "$newest" ] || die "Debian sid has no $DEB_SOURCE source package (log: $log)"
  want=$(grep -E "^${PY_VERSION//./\\.}-[^-]+$" <<<"$versions" | tail -n 1 || true)
  if [ -z "$want" ]; then
    local has
    has=$(tr '\n' ' ' <<<"$versions")
    if [ "$(printf '%s\n' "$PY_VERSION" "${newest%-*}" | sort -V | tail -n 1)" = "${newest%-*}" ]; then
      die "Debian sid has moved past $PY_VERSION: its $DEB_SOURCE is now ${has% } - refusing to build another version (pin the new one and its sha256 in scripts/peers.sh)"
    fi
    die "Debian sid has no $DEB_SOURCE $PY_VERSION (it has ${has% }): refusing to build another version"
  fi
  if [ "$want" != "$newest" ]; then
    say "note: Debian sid's newest $DEB_SOURCE is $newest; it still carries $want, which is what is pinned here"
  fi
  (cd "$dl" && apt-get "${o[@]}" source --download-only "$DEB_SOURCE=$want") >>"$log" 2>&1 ||
    { tail -n 20 "$log" >&2; die "apt-get source $DEB_SOURCE=$want failed (log: $log)"; }
  orig_dsc=$dl/${DEB_SOURCE}_$want.dsc
  # Only the upstream tarball is wanted: not Debian's patches.
  rm -f "$dl/${DEB_SOURCE}_$want".debian.tar.*
  check_orig
}

check_orig() {  # [quiet]: return 1 instead of dying
  local v listed actual
  v=$(awk '/^Version:/ { print $2; exit }' "$orig_dsc")
  if [[ $v != "$PY_VERSION"-* ]]; then
    [ "${1:-}" = quiet ] && return 1
    die "$orig_dsc is version $v, not $PY_VERSION: refusing to build another version"
  fi
  [ -f "$orig" ] || die "apt-get source brought no $(basename "$orig") (see $(dirname "$orig_dsc"))"
  listed=$(dsc_sha256 "$orig_dsc" "$(basename "$orig")")
  actual=$(sha256sum "$orig" | cut -d' ' -f1)
  if [ "$listed" != "$ORIG_SHA256" ] || [ "$actual" != "$ORIG_SHA256" ]; then
    [ "${1:-}" = quiet ] && return 1
    die "$(basename "$orig"): sha256 $actual, the .dsc lists ${listed:-none}, pinned $ORIG_SHA256: refusing it"
  fi
  [ "${1:-}" = quiet ] || say "$(basename "$orig") matches the sha256 in $(basename "$orig_dsc") and the pinned one"
}

# The tarball's top folder (Python-3.13.15), extracted into DEST's parent as DEST.
extract_orig() {  # DEST
  local top tmp
  tmp=$(mktemp -d "$(dirname "$1")/.extract.XXXXXX")
  "${NICE[@]}" tar -xJf "$orig" -C "$tmp"
  top=$(find "$tmp" -mindepth 1 -maxdepth 1 -printf '%f\n')
  if [ -z "$top" ] || [ "$top" != "${top%$'\n'*}" ] || [ ! -d "$tmp/$top" ]; then
    die "$(basename "$orig") has not one top folder but: ${top:-nothing}"
  fi
  rm -rf "$1"
  mv "$tmp/$top" "$1"
  rmdir "$tmp"
}

# A tree's fingerprint: its files' paths, sizes and times (.git left out),
# and its git revision when it has one.
tree_fingerprint() {
  local rev=
  rev=$(git -C "$1" rev-parse HEAD 2>/dev/null || true)
  printf 'git %s\n' "${rev:-none}"
  find "$1" -path "$1/.git" -prune -o -type f -printf '%P\t%s\t%T@\n' | LC_ALL=C sort | sha256sum | cut -d' ' -f1
}

# The module names CPython's build summary lists under HEADER, each once.
modules_listed() {  # HEADER LOG
  awk -v h="$1" 'index($0, h) { p = 1; next }
                 p && (/^[[:space:]]*$/ || /^To find/ || /:$/) { p = 0 }
                 p { for (i = 1; i <= NF; i++) print $i }' "$2" | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# Builds NAME into $peers_dir/NAME unless its stamp says it is there.
# Source: "orig" (the tarball) or a tree's path. Sets built_python to the
# installed interpreter.
built_python=
build() {  # NAME SOURCE CONFIGURE-ARGS...
  local name=$1 source=$2; shift 2
  local prefix=$peers_dir/$name work=$cache/build/$name log=$cache/logs/$name.log
  local conf=(--prefix="$prefix" "$@") stamp
  if [ "$source" = orig ]; then
    stamp="source $(basename "$orig") sha256:$ORIG_SHA256"
  else
    stamp="tree $source $(tree_fingerprint "$source" | tr '\n' ' ')"
  fi
  stamp=$(printf 'rclab peers stamp %s\n%s\nconfigure %s\nmake %s\n' \
    "$STAMP_FORMAT" "$stamp" "$(quoted "${conf[@]}")" "$(quoted "${MAKE_ARGS[@]}")")
  if [ -f "$prefix/.rclab-stamp" ] && [ "$(cat "$prefix/.rclab-stamp")" = "$stamp" ] &&
     built_python=$(installed_python "$prefix"); then
    say "$name: present ($built_python)"
    return 0
  fi
  local t0=$SECONDS
  say "$name: building into $prefix (log: $log)"
  rm -rf "$prefix" "$work"
  mkdir -p "$cache/build" "$cache/logs"
  : >"$log"
  if [ "$source" = orig ]; then
    extract_orig "$work"
  else
    mkdir -p "$work"
    tar -C "$source" --exclude=./.git -cf - . | tar -C "$work" -xf -
    # A tree built in place: start its copy clean.
    if [ -f "$work/Makefile" ]; then
      (cd "$work" && "${NICE[@]}" make distclean) >>"$log" 2>&1 || { tail -n 20 "$log" >&2; die "$name: make distclean failed (log: $log)"; }
    fi
  fi
  local step
  for step in configure make install; do
    local s0=$SECONDS
    case $step in
      configure) say "$name: ./configure $(quoted "${conf[@]}")"
                 (cd "$work" && "${NICE[@]}" ./configure "${conf[@]}") >>"$log" 2>&1 || step=failed ;;
      make)      say "$name: make ${MAKE_ARGS[*]}"
                 (cd "$work" && "${NICE[@]}" make "${MAKE_ARGS[@]}") >>"$log" 2>&1 || step=failed ;;
      install)   say "$name: make install"
                 (cd "$work" && "${NICE[@]}" make install) >>"$log" 2>&1 || step=failed ;;
    esac
    if [ "$step" = failed ]; then
      tail -n 30 "$log" >&2
      die "$name: the build failed after $(hms $((SECONDS - t0))) (log: $log; the tree is kept in $work)"
    fi
    say "$name: $step took $(hms $((SECONDS - s0)))"
  done
  # The optional modules it left out, from CPython's own summary (3.6 to
  # 3.13 print it at make and again at make install).
  local skipped failed
  skipped=$(modules_listed 'necessary bits to build these optional modules were not found' "$log")
  failed=$(modules_listed 'Failed to build these modules' "$log")
  say "$name: optional modules not built: ${skipped:-none}${failed:+; failed to build: $failed}"
  built_python=$(installed_python "$prefix") || die "$name: make install left no bin/python3 or bin/python in $prefix"
  # The imports the workloads and peer_fib.py need, and one peer run.
  "$built_python" -c 'import threading, json, marshal, dis' ||
    die "$name: $built_python cannot import threading, json, marshal, dis"
  "$built_python" tools/peer/peer_fib.py --name "$name" --threads 2 --n 15 >/dev/null ||
    die "$name: tools/peer/peer_fib.py --threads 2 --n 15 failed under $built_python"
  printf '%s\n' "$stamp" >"$prefix/.rclab-stamp"
  rm -rf "$work"
  say "$name: built in $(hms $((SECONDS - t0))) ($built_python)"
}

# --- the work --------------------------------------------------------------------
scripts/install-deps.sh
mkdir -p "$peers_dir"

# The peers file's entries, one JSON object a line, in order.
entries=()
entry() {  # NAME PYTHON BASE MODELS [ENV-KEY ENV-VALUE]
  entries+=("$(/usr/bin/python3 -c '
import json, sys
n, py, base, models = sys.argv[1:5]
env = dict(zip(sys.argv[5::2], sys.argv[6::2]))
print(json.dumps({"name": n, "python": py, "env": env, "base": base, "models": models}))' "$@")")
}

# The machine's own: pyenv's 2.7.18 and 3.6.15, Debian's python3.
pyenv_bin=$(command -v pyenv || true)
[ -n "$pyenv_bin" ] || [ ! -x "${PYENV_ROOT:-$HOME/.pyenv}/bin/pyenv" ] || pyenv_bin=${PYENV_ROOT:-$HOME/.pyenv}/bin/pyenv
for v in 2.7.18 3.6.15; do
  short=${v%.*}
  if [ -n "$pyenv_bin" ] && p=$("$pyenv_bin" prefix "$v" 2>/dev/null) && [ -x "$p/bin/python$short" ]; then
    say "cpython-$short: pyenv's $v ($p/bin/python$short)"
    entry "cpython-$short" "$p/bin/python$short" "" "CPython $v (pyenv)"
  elif [ -n "$pyenv_bin" ]; then
    say "cpython-$short: skipped, pyenv has no $v"
  else
    say "cpython-$short: skipped, no pyenv"
  fi
done
if [ -x /usr/bin/python3 ]; then
  v=$(/usr/bin/python3 -c 'import platform; print(platform.python_version())')
  say "cpython-${v%.*}: Debian's /usr/bin/python3 ($v)"
  entry "cpython-${v%.*}" /usr/bin/python3 "" "CPython $v (Debian's /usr/bin/python3)"
else
  say "Debian's python3: skipped, no /usr/bin/python3"
fi

# CPython 3.13.15, default and free-threaded.
fetch_orig
if [ ! -f "$cache/src/.Python-$PY_VERSION.sha256" ] || [ "$(cat "$cache/src/.Python-$PY_VERSION.sha256")" != "$ORIG_SHA256" ] ||
   [ ! -d "$cache/src/Python-$PY_VERSION" ]; then
  mkdir -p "$cache/src"
  extract_orig "$cache/src/Python-$PY_VERSION"
  echo "$ORIG_SHA256" >"$cache/src/.Python-$PY_VERSION.sha256"
  say "source: extracted $cache/src/Python-$PY_VERSION"
fi
build "$DEFAULT_NAME" orig
entry "$DEFAULT_NAME" "$built_python" "" "CPython $PY_VERSION (Debian sid's $DEB_SOURCE orig tarball), default ./configure"
build "$FT_NAME" orig --disable-gil
entry "$FT_NAME" "$built_python" "$DEFAULT_NAME" "CPython $PY_VERSION free-threaded (./configure --disable-gil), GIL off (PYTHON_GIL=0)" PYTHON_GIL 0
entry "$FT_NAME-gil" "$built_python" "$DEFAULT_NAME" "CPython $PY_VERSION free-threaded (./configure --disable-gil), GIL on (PYTHON_GIL=1): the free-threaded build's costs without its parallelism" PYTHON_GIL 1

# The trees given with --tree.
for i in "${!tree_names[@]}"; do
  name=${tree_names[$i]}
  # Split at spaces; a backslash keeps a space (the documented syntax).
  # shellcheck disable=SC2162
  read -a targs <<<"${tree_args[$i]}"
  build "$name" "${tree_paths[$i]}" "${targs[@]}"
  rev=$(git -C "${tree_paths[$i]}" rev-parse --short=10 HEAD 2>/dev/null || true)
  what="${tree_paths[$i]}${rev:+ at $rev}, ./configure${targs[*]:+ }$(quoted "${targs[@]}")"
  if [ "$("$built_python" -c 'import sys; print(int(hasattr(sys.flags, "nogil")))')" = 1 ]; then
    entry "$name-gil-on" "$built_python" "${base_of[$i]:-}" "$what, nogil with PYTHONGIL=1" PYTHONGIL 1
    entry "$name-gil-off" "$built_python" "$name-gil-on" "$what, nogil with the GIL off (PYTHONGIL=0)" PYTHONGIL 0
  else
    entry "$name" "$built_python" "${base_of[$i]:-}" "$what"
  fi
done

# A peer whose base is absent would be refused by rclab: leave it out (and
# any peer read against that one).
out=$(/usr/bin/python3 -c '
import json, sys
kept = [json.loads(line) for line in sys.argv[1:]]
while True:
    names = {p["name"] for p in kept}
    gone = [p for p in kept if p["base"] and p["base"] not in names]
    if not gone:
        break
    for p in gone:
        print("peers: %s: skipped, its base %s is absent" % (p["name"], p["base"]), file=sys.stderr)
    kept = [p for p in kept if p not in gone]
print("{\"peers\": [\n" + ",\n".join("  " + json.dumps(p) for p in kept) + "\n]}")' "${entries[@]}")
file=$peers_dir/peers.json
# The one peers-file reader is rclab's (`rclab peers FILE`, the rules
# `sweep --peers` applies): check what was written with it when rclab is
# built (RCLAB names another binary), else as JSON only, and say so.
rclab_bin=${RCLAB:-build/release/experiments/rclab}
printf '%s\n' "$out" >"$file.tmp"
if [ -x "$rclab_bin" ]; then
  "$rclab_bin" peers "$file.tmp" >/dev/null ||
    die "the peers file came out wrong (a bug here; rclab peers refused it):"$'\n'"$out"
else
  /usr/bin/python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$file.tmp" ||
    die "the peers file came out wrong (a bug here):"$'\n'"$out"
  say "note: rclab is not built ($rclab_bin): the peers file was checked as JSON only; \`rclab peers $file\` checks it whole"
fi
if [ -f "$file" ] && [ "$(cat "$file")" = "$out" ]; then
  rm -f "$file.tmp"
  say "$file: unchanged"
else
  mv "$file.tmp" "$file"
  say "$file: written ($(grep -c '"name"' "$file") peers)"
fi
say "CPython $PY_VERSION's source: $cache/src/Python-$PY_VERSION"
