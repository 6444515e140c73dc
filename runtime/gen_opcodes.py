#!/usr/bin/python3
"""Generates a generation's opcode header from its opcodes.json, the one list
of what that interpreter generation runs (runtime/CMakeLists.txt runs this at
configure time; tools/compile_workloads.py reads the same file).

    gen_opcodes.py runtime/GEN/opcodes.json OUT.h NAMESPACE

Writes, in namespace rclab::runtime::NAMESPACE (or rclab::runtime when
NAMESPACE is "-"):
  enum Op : uint8_t          every opcode the generation runs, base,
                             specialised and internal (its own, e.g.
                             INTERPRETER_EXIT), with CPython's numbers;
  kSupportedOps[]            the base opcodes the loader accepts;
  kCaches[256]               inline cache entries per opcode (3.11+; all 0 for 3.6);
  kDeopt[256]                each opcode's base (itself for a base opcode);
  kHaveArgument, kOpNames[]  HAVE_ARGUMENT and every opcode's name;
  RCLAB_GEN_EVERY_OP(X, a)   X(a, NAME) for every opcode of the enum (GEN the
                             generation's name in capitals), from which the
                             interpreter's label table is built
                             (runtime/label_table.h): the table cannot list
                             an opcode the file does not, nor miss one;
  and one array per "*_modelled" key: strings as string_view, numbers as
  uint32, an object as {name, value} pairs.
"""
import json
import re
import sys


def camel(key):
    return "k" + "".join(p.capitalize() for p in key.split("_"))


def main(src, out, ns):
    with open(src) as f:
        d = json.load(f)
    base = d["opcodes"]
    spec = {name: v["code"] for name, v in d.get("specialized", {}).items()}
    allops = dict(base, **spec, **d.get("internal", {}))
    caches = d.get("caches", {})
    lines = ["// Generated from %s by runtime/gen_opcodes.py at configure time. Do not edit." % src.split("runtime/", 1)[-1],
             "#pragma once", "", "#include <cstdint>", "#include <string_view>", "",
             "namespace rclab::runtime%s {" % ("" if ns == "-" else "::" + ns), ""]
    lines.append("enum Op : std::uint8_t {")
    for name, code in sorted(allops.items(), key=lambda kv: kv[1]):
        lines.append("  %s = %d," % (name, code))
    lines += ["};", ""]
    lines.append("#define RCLAB_%s_EVERY_OP(X, a) %s" % (d["generation"].upper(), " ".join(
        "X(a, %s)" % name for name, _ in sorted(allops.items(), key=lambda kv: kv[1]))))
    lines.append("")
    lines.append("inline constexpr Op kSupportedOps[] = {%s};" % ", ".join(sorted(base, key=base.get)))
    lines.append("inline constexpr std::uint8_t kHaveArgument = %d;" % d["have_argument"])
    cache_row = [0] * 256
    deopt_row = list(range(256))
    for name, code in base.items():
        cache_row[code] = caches.get(name, 0)
    for name, v in d.get("specialized", {}).items():
        cache_row[v["code"]] = caches.get(v["base"], 0)
        deopt_row[v["code"]] = base[v["base"]]
    lines.append("inline constexpr std::uint8_t kCaches[256] = {%s};" % ", ".join(map(str, cache_row)))
    lines.append("inline constexpr std::uint8_t kDeopt[256] = {%s};" % ", ".join(map(str, deopt_row)))
    lines += ["", "struct OpName {", "  std::uint8_t op;", "  std::string_view name;", "};",
              "inline constexpr OpName kOpNames[] = {"]
    for code, name in sorted(((int(k), v) for k, v in d["opnames"].items())):
        lines.append('    {%d, "%s"},' % (code, name))
    lines += ["};", ""]
    if "cmp_op" in d:
        lines.append("inline constexpr std::string_view kCmpOpNames[] = {%s};" % ", ".join('"%s"' % c for c in d["cmp_op"]))
    for key in sorted(k for k in d if k.endswith("_modelled")):
        v = d[key]
        if isinstance(v, dict):
            lines += ["struct %sEntry {" % camel(key)[1:], "  std::string_view name;", "  std::uint32_t value;", "};",
                      "inline constexpr %sEntry %s[] = {%s};" % (camel(key)[1:], camel(key),
                                                                 ", ".join('{"%s", %d}' % kv for kv in v.items()))]
        elif all(isinstance(x, str) for x in v):
            lines.append("inline constexpr std::string_view %s[] = {%s};" % (camel(key), ", ".join('"%s"' % x for x in v)))
        else:
            lines.append("inline constexpr std::uint32_t %s[] = {%s};" % (camel(key), ", ".join(map(str, v))))
    lines += ["", "}  // namespace rclab::runtime%s" % ("" if ns == "-" else "::" + ns), ""]
    text = "\n".join(lines)
    try:
        with open(out) as f:
            if f.read() == text:
                return 0
    except OSError:
        pass
    with open(out, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4 or not re.match(r"^[\w-]+$", sys.argv[3]):
        print("usage: gen_opcodes.py OPCODES.json OUT.h NAMESPACE|-", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
