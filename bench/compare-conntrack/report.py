#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report.py RUNDIR OUTDIR STEM: one compare-conntrack run as data, text, plot.

Reads RUNDIR/reps.jsonl, meta.json, host.json and, if present, cpu.tsv and
memlat.json (the host's memory latency, kept as meta.host.mem_latency_ns);
writes OUTDIR/STEM.json (every rep with its derived values, a summary per
configuration, the targets), OUTDIR/STEM.md (tables) and OUTDIR/STEM.png
(gnuplot bar charts, drawn by RUNDIR/plot.gp from RUNDIR/plot-*.dat).
"""
import bisect
import itertools
import json
import os
import re
import statistics
import subprocess
import sys

SCENARIOS = ("upper", "established", "new-flows", "filter", "memory", "tcp")
TITLES = {"upper": "Upper bounds", "established": "Established flows",
          "new-flows": "New flows", "filter": "Filter rules",
          "memory": "Memory per mapping", "tcp": "TCP throughput"}
LABELS = {
    "plain": "plain routing",
    "nft-masq": "nftables masquerade + conntrack",
    "nft-flowtable": "nftables masquerade + flowtable",
    "tc-nat": "tc act_nat (stateless)",
    "nc-masq": "netchannel masquerade",
    "nc-netmap": "netchannel netmap (stateless)",
    "nc-filter": "netchannel filter (accept)",
    "nc-drop": "drop at the netchannel hook",
    "blackhole": "generator into a black hole (dummy dev)",
    "nft-snat": "nftables snat to a 16-address pool",
    "nc-snat": "netchannel snat to a 16-address pool",
    "nft-chain": "nftables chain (netdev ingress)",
    "nft-set": "nftables verdict map (netdev ingress)",
}
NAMES = ("scenario", "variant", "config")
# Numbers each kind of record must carry; the derived values divide by some.
NEEDED = {"pktgen": ("sent", "delivered", "usec", "t0", "t1"),
          "memory": ("mappings", "slab_bytes", "kmem_bytes"),
          "tcp": ("bytes", "seconds")}
DIVISORS = ("sent", "usec", "mappings", "seconds")
# Per kind: the derived field that is the main metric, and the metric's name.
MAIN = {"pktgen": ("pps", "pps"), "tcp": ("gbps", "Gbit/s"),
        "memory": ("bytes_per_mapping", "bytes/mapping")}
# Per kind: further derived fields whose median the summary keeps, as key.
SIDE = {"pktgen": {"cpu_ns_per_pkt": "cpu_ns_per_pkt_median",
                   "delivered_ratio": "delivered_ratio"},
        "memory": {"kmem_bytes_per_mapping": "kmem_bytes_per_mapping_median"},
        "tcp": {"cpu_ns_per_byte": "cpu_ns_per_byte_median"}}
# Where plain routing is measured when a scenario has no plain run of its own.
PLAIN_FALLBACK = ("established", "1 flow", "plain")
FILTER_BASE, FILTER_TOP = "1 rule", "10,000 rules"
MEMORY_PAIRS = (("nc-masq", "nft-masq"), ("nc-snat", "nft-snat"))
PKTGEN_HEAD = ["variant", "configuration", "pps median (min–max)",
               "CPU ns/pkt (median)", "added ns/pkt vs plain", "× plain",
               "× nft masq", "delivered/sent"]
# Tables of the other kinds: their headings, side value and its decimals.
OTHER_TABLES = {
    "memory": (["bytes/mapping, slab: median (min–max)",
                "bytes/mapping, kernel memory (slab pages, vmalloc): "
                "first repetition"],
               "kmem_bytes_per_mapping_median", 0),
    "tcp": (["Gbit/s median (min–max)", "CPU ns/byte (median)"],
            "cpu_ns_per_byte_median", 2),
}
# Bar colours, given to configurations in first-seen order across the run so
# that a configuration looks the same in every panel.
PALETTE = ("#9400d3", "#009e73", "#56b4e9", "#e69f00", "#f0e442", "#0072b2",
           "#e51e10", "#808080", "#a0522d", "#ff69b4", "#2e8b57", "#000080",
           "#c8c800")
DASH = "–"


class ReportError(Exception):
    """The run cannot be reported; the message says why."""


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as e:
        raise ReportError(f"{path}: {e.strerror}") from e


def parse(text, where):
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ReportError(f"{where}: {e}") from e


def load_object(path):
    data = parse(read(path), path)
    if not isinstance(data, dict):
        raise ReportError(f"{path}: not a JSON object")
    return data


def is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def check_rep(rec, where):
    if not isinstance(rec, dict) or rec.get("kind") not in NEEDED:
        raise ReportError(f"{where}: not a pktgen, memory or tcp record")
    for key in NAMES + ("rep",) + NEEDED[rec["kind"]]:
        if key not in rec:
            raise ReportError(f"{where}: no {key!r}")
    if not all(isinstance(rec[key], str) for key in NAMES):
        raise ReportError(f"{where}: a name is not a string")
    # tcp records may lack the time window; they then have no CPU figure.
    window = tuple(key for key in ("t0", "t1") if key in rec)
    for key in NEEDED[rec["kind"]] + window:
        if not is_number(rec[key]) or (key in DIVISORS and rec[key] <= 0):
            raise ReportError(f"{where}: {key!r} is not a usable number")


def load_reps(path):
    reps = []
    for n, line in enumerate(read(path).splitlines(), 1):
        if line.strip():
            reps.append(parse(line, f"{path}:{n}"))
            check_rep(reps[-1], f"{path}:{n}")
    if not reps:
        raise ReportError(f"{path}: no records")
    return reps


def load_cpu(path):
    """(times, cumulative CPU ns) by time; both empty without samples."""
    if not os.path.exists(path):
        return [], []
    samples = []
    for n, line in enumerate(read(path).splitlines(), 1):
        try:
            if line.strip():
                t, ns = line.split()
                samples.append((float(t), float(ns)))
        except ValueError as e:
            raise ReportError(f"{path}:{n}: not 'SECONDS CPU_NS'") from e
    samples.sort()
    return [t for t, _ in samples], [ns for _, ns in samples]


def cpu_at(cpu, t):
    """VM CPU ns used up to host time t, linear between samples; None
    outside them, as extrapolating would invent CPU time."""
    times, ns = cpu
    if t is None or not times or not times[0] <= t <= times[-1]:
        return None
    i = bisect.bisect_left(times, t)
    if times[i] == t:
        return ns[i]
    frac = (t - times[i - 1]) / (times[i] - times[i - 1])
    return ns[i - 1] + frac * (ns[i] - ns[i - 1])


def per_unit(cpu, rec, units):
    """CPU ns the VM used in the record's time window, per unit of work."""
    start, end = cpu_at(cpu, rec.get("t0")), cpu_at(cpu, rec.get("t1"))
    if start is None or end is None or not units:
        return None
    return (end - start) / units


def derive(rec, cpu):
    """The record plus what follows from it (None where it cannot be known)."""
    out = dict(rec)
    if rec["kind"] == "pktgen":
        out["pps"] = rec["sent"] / (rec["usec"] / 1e6)
        out["cpu_ns_per_pkt"] = per_unit(cpu, rec, rec["sent"])
        out["delivered_ratio"] = rec["delivered"] / rec["sent"]
    elif rec["kind"] == "memory":
        out["bytes_per_mapping"] = rec["slab_bytes"] / rec["mappings"]
        # netchannel's hash tables keep their size after a flush, so only
        # a first repetition pays for them (conntrack's is made at boot).
        out["kmem_bytes_per_mapping"] = (
            rec["kmem_bytes"] / rec["mappings"] if rec.get("rep") == 1
            else None)
    else:
        out["gbps"] = 8 * rec["bytes"] / rec["seconds"] / 1e9
        out["cpu_ns_per_byte"] = per_unit(cpu, rec, rec["bytes"])
    return out


def group(reps):
    """{scenario: {variant: {config: [reps]}}}: known scenarios in display
    order, others after them; variants and configs as first seen."""
    tree = {}
    for rec in reps:
        (tree.setdefault(rec["scenario"], {}).setdefault(rec["variant"], {})
         .setdefault(rec["config"], []).append(rec))
    rank = {name: i for i, name in enumerate(SCENARIOS)}
    return dict(sorted(tree.items(), key=lambda s: rank.get(s[0], len(rank))))


def summarize(tree):
    summary = []
    for scenario, variants in tree.items():
        kinds = {r["kind"] for configs in variants.values()
                 for reps in configs.values() for r in reps}
        # One metric per scenario keeps its table and its plot panel whole.
        if len(kinds) > 1:
            raise ReportError(f"scenario {scenario!r} mixes kinds of records")
        kind = kinds.pop()
        field, metric = MAIN[kind]
        for variant, configs in variants.items():
            for config, reps in configs.items():
                values = [r[field] for r in reps]
                entry = {"scenario": scenario, "variant": variant,
                         "config": config, "kind": kind, "n": len(reps),
                         "metric": metric, "median": statistics.median(values),
                         "min": min(values), "max": max(values)}
                for side, key in SIDE[kind].items():
                    known = [r[side] for r in reps if r[side] is not None]
                    entry[key] = statistics.median(known) if known else None
                summary.append(entry)
    return summary


def value(index, scenario, variant, config, key="median"):
    entry = index.get((scenario, variant, config))
    return None if entry is None else entry.get(key)


def ratio(a, b):
    return None if a is None or not b else a / b


def plain_pps(index, scenario, variant):
    """Plain routing of the scenario and variant; the upper bounds, which
    have none of their own, take the established flows' of their variant."""
    for where in ((scenario, variant), ("established", variant)):
        own = value(index, *where, "plain")
        if own is not None:
            return own
    return value(index, *PLAIN_FALLBACK)


def drop_pps(index, variant):
    """Dropping at the netchannel hook, at the variant's flows if measured
    there, else at one flow."""
    own = value(index, "upper", variant, "nc-drop")
    return own if own is not None else value(index, "upper", "1 flow",
                                             "nc-drop")


def variants_of(summary, scenario):
    """The scenario's variants; [None] if it was not run, so that its targets
    still show up, as not measured."""
    found = dict.fromkeys(e["variant"] for e in summary
                          if e["scenario"] == scenario)
    return list(found) or [None]


def target(scenario, variant, what, measured, limit, at_least, note=None):
    name = scenario if variant is None else f"{scenario} ({variant})"
    met = None if measured is None else (
        measured >= limit if at_least else measured <= limit)
    sign = "≥" if at_least else "≤"
    return {"target": f"{name}: {what} {sign} {limit:g}",
            "measured": measured, "met": met, "note": note}


def cache_ceiling(index, variant):
    """At many flows, what masquerade could reach with a flow table that
    never missed the cache: its one-flow cost plus what the variant's random
    flows add to the path up to the hook (the drop there has no table), in
    CPU ns per packet (wall-clock ns per packet without CPU samples),
    against plain routing's."""
    one = "1 flow"
    if variant in (None, one):
        return None
    keys = [(sc, v, c) for sc, c in (("established", "nc-masq"),
                                     ("established", "plain"),
                                     ("upper", "nc-drop"))
            for v in (one, variant)]
    ns = {k: value(index, *k, "cpu_ns_per_pkt_median") for k in keys}
    what = "CPU ns/pkt"
    if None in ns.values():
        ns = {k: ratio(1e9, value(index, *k)) for k in keys}
        what = "ns/pkt"
        if None in ns.values():
            return None
    masq, plain = (ns["established", variant, c] for c in ("nc-masq", "plain"))
    free = (ns["established", one, "nc-masq"] + ns["upper", variant, "nc-drop"]
            - ns["upper", one, "nc-drop"])
    return (f"{what} {fmt(masq)} against {fmt(plain)}; with a table that "
            f"never missed the cache ~{fmt(free)}, "
            f"{fmt(ratio(plain, free), 2)}× plain")


def targets(summary, index):
    out = []
    for v in variants_of(summary, "established"):
        nc = value(index, "established", v, "nc-masq")
        nft = value(index, "established", v, "nft-masq")
        plain = plain_pps(index, "established", v)
        out.append(target("established", v, "nc-masq / nft-masq pps",
                          ratio(nc, nft), 1.5, True))
        out.append(target("established", v, "nc-masq / plain pps",
                          ratio(nc, plain), 1.2, True,
                          cache_ceiling(index, v)))
    v = variants_of(summary, "new-flows")[0]
    nc = value(index, "new-flows", v, "nc-snat")
    nft = value(index, "new-flows", v, "nft-snat")
    out.append(target("new-flows", v, "nc-snat / nft-snat pps",
                      ratio(nc, nft), 3, True))
    base, top = (index.get(("filter", rules, "nc-filter"), {})
                 for rules in (FILTER_BASE, FILTER_TOP))
    cpu = ratio(top.get("cpu_ns_per_pkt_median"),
                base.get("cpu_ns_per_pkt_median"))
    pps = ratio(base.get("median"), top.get("median"))
    # CPU time is the cost itself; pps stands in for it without CPU samples.
    out.append(target("filter", None,
                      f"nc-filter cost, {FILTER_TOP} / {FILTER_BASE}",
                      pps if cpu is None else cpu, 1.1, False,
                      f"CPU ns/pkt ratio {fmt(cpu, 2)}, "
                      f"pps_1/pps_N {fmt(pps, 2)}"))
    for v in variants_of(summary, "memory"):
        pairs = [(nc, nft, ratio(value(index, "memory", v, nc),
                                 value(index, "memory", v, nft)))
                 for nc, nft in MEMORY_PAIRS]
        nc, nft, measured = next((p for p in pairs if p[2] is not None),
                                 pairs[0])
        out.append(target("memory", v, f"{nc} / {nft} slab bytes per mapping",
                          measured, 0.5, False))
    return out


def fmt(x, digits=0, sign=""):
    return DASH if x is None else f"{x:{sign},.{digits}f}"


def spread(entry, digits):
    low, high = fmt(entry["min"], digits), fmt(entry["max"], digits)
    return f"{fmt(entry['median'], digits)} ({low}–{high})"


def label(config):
    return LABELS.get(config, config)


def table(head, rows, left=2):
    """Markdown table: the first `left` columns name things, the others are
    numbers, aligned right."""
    align = ["---"] * left + ["--:"] * (len(head) - left)
    lines = [head, align] + rows
    return ["| " + " | ".join(cells) + " |" for cells in lines] + [""]


def pktgen_table(scenario, entries, index):
    upper = scenario == "upper"
    rows = []
    for e in entries:
        v, pps = e["variant"], e["median"]
        plain = plain_pps(index, scenario, v)
        # Time per packet on top of plain routing's.
        added = None if not plain else (1 / pps - 1 / plain) * 1e9
        nft = value(index, scenario, v, "nft-masq")
        row = [v, label(e["config"]), spread(e, 0),
               fmt(e["cpu_ns_per_pkt_median"]), fmt(added, 0, "+"),
               fmt(ratio(pps, plain), 2), fmt(ratio(pps, nft), 2),
               fmt(e["delivered_ratio"], 2)]
        # How close to the upper bounds: the generator alone for those,
        # dropping at the netchannel hook (same flows) for the others.
        if upper:
            part = ratio(pps, value(index, scenario, v, "blackhole"))
        else:
            part = ratio(pps, drop_pps(index, v))
        row.append(fmt(None if part is None else 100 * part, 1))
        rows.append(row)
    bound = "% of blackhole" if upper else "% of drop at hook"
    return table(PKTGEN_HEAD + [bound], rows)


def filter_cost(entries, index):
    """How much more N rules cost than one, per configuration."""
    rows = []
    for config in dict.fromkeys(e["config"] for e in entries):
        base = index.get(("filter", FILTER_BASE, config))
        for e in entries:
            if base and e["config"] == config and e is not base:
                rows.append([label(config), e["variant"],
                             fmt(ratio(e["cpu_ns_per_pkt_median"],
                                       base["cpu_ns_per_pkt_median"]), 2),
                             fmt(ratio(base["median"], e["median"]), 2)])
    if not rows:
        return []
    head = ["configuration", "rules", "CPU ns/pkt ratio", "pps_1 / pps_N"]
    intro = f"Cost of N rules relative to {FILTER_BASE}:"
    return [intro, ""] + table(head, rows)


def other_table(kind, entries):
    head, side, digits = OTHER_TABLES[kind]
    rows = [[e["variant"], label(e["config"]),
             spread(e, digits), fmt(e[side], digits)] for e in entries]
    return table(["variant", "configuration"] + head, rows)


def markdown(stem, meta, summary, index, goals):
    pkts = meta.get("pkts")
    pkts = f"{pkts:,}" if is_number(pkts) else "?"
    lines = [f"Run {stem}: lane {meta.get('lane', '?')}, kernel "
             f"{meta.get('kernel', '?')}, {meta.get('reps', '?')} reps, "
             f"{pkts} packets per run, {meta.get('date', '?')}, "
             f"git {meta.get('git', '?')}"
             + (f", host CPU stolen by its hypervisor {meta['steal_pct']}%"
                if is_number(meta.get("steal_pct")) else ""), ""]
    lat = meta.get("host", {}).get("mem_latency_ns")
    if isinstance(lat, dict) and lat:
        lines += ["Host memory latency, one dependent load over a working "
                  "set of " + ", ".join(f"{k} MiB: {fmt(v, 0)} ns"
                                        for k, v in lat.items()
                                        if is_number(v)) + ".", ""]
    for scenario, part in itertools.groupby(summary, lambda e: e["scenario"]):
        entries = list(part)
        kind = entries[0]["kind"]
        lines += [f"### {TITLES.get(scenario, scenario)}", ""]
        if kind != "pktgen":
            lines += other_table(kind, entries)
            continue
        lines += pktgen_table(scenario, entries, index)
        if scenario == "filter":
            lines += filter_cost(entries, index)
    rows = [[g["target"],
             fmt(g["measured"], 2) + (f" ({g['note']})" if g["note"] else ""),
             {None: "not measured", True: "yes", False: "no"}[g["met"]]]
            for g in goals]
    lines += ["### Targets", ""] + table(["target", "measured", "met?"],
                                         rows, 3)
    return "\n".join(lines)


def gp_str(text):
    return "'" + text.replace("'", "''") + "'"


def terminal():
    """pngcairo draws smoother bars and text; libgd's png is the fallback."""
    try:
        out = subprocess.run(["gnuplot", "-e", "set terminal"], check=True,
                             capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as e:
        raise ReportError(f"cannot run gnuplot: {e}") from e
    return "pngcairo" if "pngcairo" in out.stdout + out.stderr else "png"


def panel(rundir, scenario, entries, colours):
    """Writes the scenario's data file, a row per variant with median, min
    and max per configuration (NaN where not run); returns its commands."""
    configs = list(dict.fromkeys(e["config"] for e in entries))
    found = {(e["variant"], e["config"]): e for e in entries}
    name = "plot-%s.dat" % re.sub(r"[^\w-]", "_", scenario)
    with open(os.path.join(rundir, name), "w") as f:
        f.write("# variant, median min max of: %s\n" % " ".join(configs))
        for v in dict.fromkeys(e["variant"] for e in entries):
            cells = [str(found[v, c][k]) if (v, c) in found else "NaN"
                     for c in configs for k in ("median", "min", "max")]
            f.write('"%s" %s\n' % (v.replace('"', "'"), " ".join(cells)))
    curves = []
    for i, config in enumerate(configs):
        cols = f"{3 * i + 2}:{3 * i + 3}:{3 * i + 4}"
        # The first curve names the file and the x labels; the others
        # reuse them.
        source = (f"{gp_str(name)} using {cols}:xtic(1)" if i == 0
                  else f"'' using {cols}")
        curves.append(f"{source} lc rgb '{colours[config]}' "
                      f"title {gp_str(label(config))}")
    metric = entries[0]["metric"]
    title = f"{TITLES.get(scenario, scenario)}: {metric}, median (min–max)"
    # Engineering prefixes keep millions of pps short; the rest reads as is.
    return [f"set title {gp_str(title)}", f"set ylabel {gp_str(metric)}",
            "set format y '%s'" % ("%.1s%c" if metric == "pps" else "%g"),
            "plot " + ", \\\n     ".join(curves)]


def plot(rundir, png, summary):
    configs = dict.fromkeys(e["config"] for e in summary)
    colours = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(configs)}
    panels = [panel(rundir, scenario, list(part), colours) for scenario, part
              in itertools.groupby(summary, lambda e: e["scenario"])]
    rows = (len(panels) + 1) // 2
    script = [f"set terminal {terminal()} size 1600,{500 * rows} noenhanced",
              f"set output {gp_str(png)}", "set encoding utf8",
              "set style data histograms",
              "set style histogram errorbars gap 1 lw 1",
              "set style fill solid 0.7 border -1", "set yrange [0:*]",
              "set grid ytics", "set xtics rotate by -20 nomirror",
              "set key below vertical maxrows 3", "set bmargin 8",
              f"set multiplot layout {rows},2"]
    script += [line for p in panels for line in p] + ["unset multiplot"]
    with open(os.path.join(rundir, "plot.gp"), "w") as f:
        f.write("\n".join(script) + "\n")
    # Run where plot.gp names its data files, so it can be rerun by hand.
    done = subprocess.run(["gnuplot", "plot.gp"], cwd=rundir,
                          capture_output=True, text=True)
    if done.returncode != 0:
        # A half-drawn or earlier plot must not pass for this run's.
        if os.path.exists(png):
            os.remove(png)
        raise ReportError(f"gnuplot {rundir}/plot.gp failed:\n"
                          + done.stderr.strip())
    sys.stderr.write(done.stderr)


def report(rundir, outdir, stem):
    meta = load_object(os.path.join(rundir, "meta.json"))
    meta.update(load_object(os.path.join(rundir, "host.json")))
    lat = os.path.join(rundir, "memlat.json")
    if os.path.exists(lat):
        meta.setdefault("host", {})["mem_latency_ns"] = load_object(lat)
    cpu = load_cpu(os.path.join(rundir, "cpu.tsv"))
    reps = [derive(r, cpu)
            for r in load_reps(os.path.join(rundir, "reps.jsonl"))]
    summary = summarize(group(reps))
    index = {tuple(e[k] for k in NAMES): e for e in summary}
    goals = targets(summary, index)
    os.makedirs(outdir, exist_ok=True)
    out = os.path.join(outdir, stem)
    # Numbers and text first: a gnuplot failure should not cost them.
    with open(out + ".json", "w") as f:
        json.dump({"meta": meta, "reps": reps, "summary": summary,
                   "targets": goals}, f, indent=2)
        f.write("\n")
    with open(out + ".md", "w") as f:
        f.write(markdown(stem, meta, summary, index, goals) + "\n")
    plot(rundir, os.path.abspath(out + ".png"), summary)


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: report.py RUNDIR OUTDIR STEM")
    try:
        report(*sys.argv[1:])
    except ReportError as e:
        sys.exit(f"report.py: {e}")


if __name__ == "__main__":
    main()
