"""Turns a benchmark run (results.json) into the markdown table, the
targets' verdicts, the gnuplot chart and the README section.

Every number is a median over the run's repetitions; a ratio compares
medians of the same run, never numbers from different runs.
"""

import statistics
import subprocess
from pathlib import Path

ROUTES = ("direct", "turnout", "haproxy")
README_BEGIN = "<!-- bench:begin (written by bench/run.py) -->"
README_END = "<!-- bench:end -->"
CHART = Path(__file__).resolve().parent / "chart.gp"


def size_label(size):
    return f"{size // 1024} KB" if size >= 1024 else f"{size} B"


def brief(mode, r):
    if mode in ("produce", "consume"):
        extra = f" proxy_cpu={r['proxy_cpu_s']:.2f}s" if "proxy_cpu_s" in r else ""
        return f"{r['mb_s']:8.1f} MB/s {r['msgs_s']:10.0f} msgs/s{extra}"
    if mode == "latency":
        return (f"produce p50/p99/p99.9 {r['produce_p50_us']:.0f}/{r['produce_p99_us']:.0f}/"
                f"{r['produce_p999_us']:.0f} us, e2e p99 {r['e2e_p99_us']:.0f} us")
    return (f"metadata p50/max {r['metadata_p50_us'] / 1000:.1f}/"
            f"{r['metadata_max_us'] / 1000:.1f} ms, produce max {r['produce_max_us'] / 1000:.1f} ms")


def med(results, workload, route, key):
    vals = [r[key] for r in results["runs"]
            if r["workload"] == workload and r["route"] == route and key in r]
    return statistics.median(vals) if vals else None


def cpu_per_gb(results, workload, route):
    vals = [r["proxy_cpu_s"] / (r["bytes"] / 1e9) for r in results["runs"]
            if r["workload"] == workload and r["route"] == route and "proxy_cpu_s" in r]
    return statistics.median(vals) if vals else None


def workloads(results, prefix):
    seen = []
    for r in results["runs"]:
        if r["workload"].startswith(prefix) and r["workload"] not in seen:
            seen.append(r["workload"])
    return seen


def fmt(x, digits=0):
    return "–" if x is None else f"{x:,.{digits}f}"


def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b


def verdict(ok):
    if ok is None:
        return "**not resolvable on this machine** (difference within run-to-run noise)"
    return "**met**" if ok else "**missed**"


def throughput_table(res):
    out = ["| workload | direct MB/s | turnout MB/s | haproxy MB/s | turnout ÷ direct "
           "| haproxy ÷ direct | turnout ÷ haproxy |", "|---|---:|---:|---:|---:|---:|---:|"]
    for w in workloads(res, "produce") + workloads(res, "consume"):
        d, t, h = (med(res, w, r, "mb_s") for r in ROUTES)
        msgs = [med(res, w, r, "msgs_s") for r in ROUTES]
        out.append(f"| {w} | {fmt(d, 1)} ({fmt(msgs[0] / 1e3)}k msg/s) | {fmt(t, 1)} "
                   f"({fmt(msgs[1] / 1e3)}k) | {fmt(h, 1)} ({fmt(msgs[2] / 1e3)}k) | "
                   f"{fmt(ratio(t, d), 3)} | {fmt(ratio(h, d), 3)} | {fmt(ratio(t, h), 3)} |")
    return out


def latency_table(res):
    out = ["| rate | latency (µs) | direct p50 / p99 / p99.9 | turnout p50 / p99 / p99.9 "
           "| haproxy p50 / p99 / p99.9 | added by turnout at p99 |",
           "|---|---|---:|---:|---:|---:|"]
    for w in workloads(res, "latency"):
        for kind, label in (("produce", "produce request"), ("e2e", "end to end")):
            cells = []
            for route in ROUTES:
                cells.append(" / ".join(fmt(med(res, w, route, f"{kind}_{p}_us"))
                                        for p in ("p50", "p99", "p999")))
            d99 = med(res, w, "direct", f"{kind}_p99_us")
            t99 = med(res, w, "turnout", f"{kind}_p99_us")
            added = None if d99 is None or t99 is None else t99 - d99
            out.append(f"| {w.split()[1]} | {label} | {cells[0]} | {cells[1]} | {cells[2]} | "
                       f"{fmt(added)} |")
    return out


def spread(res, workload, route, key):
    vals = [r[key] for r in res["runs"]
            if r["workload"] == workload and r["route"] == route and key in r]
    return (min(vals), max(vals)) if vals else None


def noise_lines(res):
    """How much the same route's p99 moved between repetitions: a difference
    between routes smaller than this is not resolved by the run."""
    out = []
    for w in workloads(res, "latency"):
        parts = []
        for route in ROUTES:
            s = spread(res, w, route, "produce_p99_us")
            if s:
                parts.append(f"{route} {s[0]:,.0f}–{s[1]:,.0f}")
        out.append(f"- {w}: produce p99 across the runs: " + ", ".join(parts) + " µs")
    return out


def path_cpu(res, workload, route):
    """Median CPU seconds per GB of the whole path: client, broker, proxy."""
    rows = [r for r in res["runs"] if r["workload"] == workload and r["route"] == route
            and "bytes" in r]
    if not rows:
        return None
    per = lambda key: statistics.median(r.get(key, 0) / (r["bytes"] / 1e9) for r in rows)
    return {k: per(k) for k in ("client_cpu_s", "broker_cpu_s", "proxy_cpu_s")}


def path_table(res):
    out = ["| workload | route | client | broker | proxy | whole path | machine busy "
           "| ceiling if CPU-bound |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    for w in workloads(res, "produce") + workloads(res, "consume"):
        base = path_cpu(res, w, "direct")
        for route in ROUTES:
            c = path_cpu(res, w, route)
            if not c:
                continue
            total = sum(c.values())
            busy = med(res, w, route, "machine_busy")
            ceiling = sum(base.values()) / total if base and total else None
            out.append(f"| {w} | {route} | {fmt(c['client_cpu_s'], 2)} | "
                       f"{fmt(c['broker_cpu_s'], 2)} | {fmt(c['proxy_cpu_s'], 2)} | "
                       f"{fmt(total, 2)} | {fmt(busy * 100 if busy is not None else None)} % | "
                       f"{fmt(ceiling, 2)} × direct |")
    return out


def cpu_table(res):
    out = ["| workload | turnout s/GB | haproxy s/GB | turnout ÷ haproxy |", "|---|---:|---:|---:|"]
    for w in workloads(res, "produce") + workloads(res, "consume"):
        t, h = cpu_per_gb(res, w, "turnout"), cpu_per_gb(res, w, "haproxy")
        out.append(f"| {w} | {fmt(t, 2)} | {fmt(h, 2)} | {fmt(ratio(t, h), 2)} |")
    return out


def memory_rows(res):
    m = res["memory"]
    rows = [("idle, after start", "idle", "rss"),
            ("100 idle client connections", "conns_100", "rss"),
            ("1,000 idle client connections", "conns_1000", "rss"),
            ("after Metadata for 10,000 partitions", "metadata_10k", "rss"),
            ("peak in the memory phase (VmHWM)", "metadata_10k", "hwm"),
            ("peak during the throughput phase (VmHWM)", "under_load", "hwm")]
    out = ["| state | turnout KiB | haproxy KiB |", "|---|---:|---:|"]
    for label, state, key in rows:
        cells = [fmt(m.get(p, {}).get(state, {}).get(key)) if state != "under_load"
                 else fmt(m.get("under_load", {}).get(p, {}).get(key))
                 for p in ("turnout", "haproxy")]
        out.append(f"| {label} | {cells[0]} | {cells[1]} |")
    per = {p: per_connection(res, p) for p in ("turnout", "haproxy")}
    out.append(f"| per idle connection ((1,000 − idle) ÷ 1,000) | {fmt(per['turnout'], 1)} | "
               f"{fmt(per['haproxy'], 1)} |")
    return out


def per_connection(res, proxy):
    m = res["memory"].get(proxy, {})
    if "conns_1000" not in m or "idle" not in m:
        return None
    return (m["conns_1000"]["rss"] - m["idle"]["rss"]) / 1000


def ms(x, digits=1):
    return fmt(x / 1e3 if x is not None else None, digits)


def metadata_table(res):
    w = "metadata 10k partitions"
    out = ["| route of the load | Metadata round trip p50 / max (ms) | produce p99 / max at "
           "1k/s meanwhile (ms) | turnout's own ApiVersions answer p99 / max (ms) |",
           "|---|---:|---:|---:|"]
    for route in ROUTES:
        md = [med(res, w, route, k) for k in ("metadata_p50_us", "metadata_max_us")]
        pr = [med(res, w, route, k) for k in ("produce_p99_us", "produce_max_us")]
        pb = [med(res, w, route, k) for k in ("probe_p99_us", "probe_max_us")]
        out.append(f"| {route} | {ms(md[0])} / {ms(md[1])} | {ms(pr[0], 2)} / {ms(pr[1])} | "
                   f"{ms(pb[0], 2)} / {ms(pb[1])} |")
    return out


def targets(res):
    rows = []
    for w in workloads(res, "produce") + workloads(res, "consume"):
        d, t, h = (med(res, w, r, "mb_s") for r in ROUTES)
        td, th = ratio(t, d), ratio(t, h)
        base, own = path_cpu(res, w, "direct"), path_cpu(res, w, "turnout")
        ceiling = sum(base.values()) / sum(own.values()) if base and own else None
        note = f"; CPU ceiling {ceiling:.2f} × direct" if ceiling is not None else ""
        rows.append((f"throughput {w}: turnout ≥ 0.95 × direct and ≥ haproxy",
                     f"{fmt(td, 3)} × direct, {fmt(th, 3)} × haproxy{note}",
                     td is not None and td >= 0.95 and th is not None and th >= 1.0))
    w = "latency 1k/s"
    d99, t99 = med(res, w, "direct", "produce_p99_us"), med(res, w, "turnout", "produce_p99_us")
    d50, t50 = med(res, w, "direct", "produce_p50_us"), med(res, w, "turnout", "produce_p50_us")
    h50 = med(res, w, "haproxy", "produce_p50_us")
    noise = spread(res, w, "direct", "produce_p99_us")
    if None not in (d99, t99, d50, t50, h50):
        added, band = t99 - d99, (noise[1] - noise[0]) if noise else 0
        runs = sum(1 for r in res["runs"] if r["workload"] == w and r["route"] == "direct")
        if added > max(100, band):
            ok = False
        elif runs < 2 or band > 100:
            ok = None  # one run shows no spread; a wide one hides 100 µs
        else:
            ok = True
        rows.append(("added produce p99 at 1k msgs/s ≤ 100 µs",
                     f"{added:+,.0f} µs, with direct's own p99 spread over {band:,.0f} µs "
                     f"between runs (added p50: turnout {t50 - d50:+,.0f} µs, "
                     f"haproxy {h50 - d50:+,.0f} µs)", ok))
    for w in workloads(res, "produce") + workloads(res, "consume"):
        t, h = cpu_per_gb(res, w, "turnout"), cpu_per_gb(res, w, "haproxy")
        rows.append((f"CPU per GB, {w}: turnout ≤ 1.2 × haproxy",
                     f"{fmt(t, 2)} vs {fmt(h, 2)} s/GB ({fmt(ratio(t, h), 2)} ×)",
                     t is not None and h is not None and t <= 1.2 * h))
    m = res["memory"].get("turnout", {})
    if "idle" in m:
        rows.append(("idle RSS ≤ 5 MB", f"{m['idle']['rss'] / 1024:.1f} MiB",
                     m["idle"]["rss"] <= 5 * 1024))
    per = per_connection(res, "turnout")
    if per is not None:
        rows.append(("≤ 32 KB per idle client connection", f"{per:.1f} KiB", per <= 32))
    w = "metadata 10k partitions"
    dp, tp = med(res, w, "direct", "probe_max_us"), med(res, w, "turnout", "probe_max_us")
    d99, t99 = med(res, w, "direct", "probe_p99_us"), med(res, w, "turnout", "probe_p99_us")
    if None not in (dp, tp, d99, t99):
        # the control's own worst case moves this much between runs
        controls = [r["probe_max_us"] for r in res["runs"] if r["workload"] == w
                    and r["route"] != "turnout" and "probe_max_us" in r]
        band = max(controls) - min(controls) if len(controls) > 1 else None
        added = tp - dp
        if added <= 10e3:
            ok = True
        elif band is None or added <= band:
            ok = None
        else:
            ok = False
        rows.append(("10k-partition Metadata: no latency outlier above 10 ms from turnout",
                     f"turnout's slowest ApiVersions answer {tp / 1e3:.1f} ms with the "
                     f"Metadata passing through it, {dp / 1e3:.1f} ms with it passing by "
                     f"({added / 1e3:+.1f} ms; the control's worst case spans "
                     f"{band / 1e3 if band is not None else 0:.1f} ms between runs); at p99 "
                     f"{t99 / 1e3:.2f} against {d99 / 1e3:.2f} ms", ok))
    out = ["| target | measured | |", "|---|---|---|"]
    out += [f"| {name} | {value} | {verdict(ok)} |" for name, value, ok in rows]
    return out


def markdown(res):
    m = res["machine"]
    p = res["params"]
    lines = [
        f"Command: `{res['command']}` — {res['started']}, {res['seconds']} s. "
        f"Machine: {m['cpu']}, {m['cpus']} CPUs, {m['memory']} RAM, {m['os']}, kernel "
        f"{m['kernel']}; load average {res['load_before'][0]} at the start, "
        f"{res['load_after'][0]} at the end (the machine was shared). "
        f"turnout {m['turnout']} (cc {m['cc']}, libevent {m['libevent']}), haproxy "
        f"{m['haproxy']} (1 thread, TCP mode), {res['mock']}.",
        "",
        f"Each workload ran {p['reps']} times per route, routes interleaved; the figures "
        f"are medians. Produce runs last {p['produce_s']:g} s; consume runs read a "
        f"preloaded topic ({p['preload_parts']} partitions: "
        + ", ".join(f"{n:,} × {size_label(int(s))}" for s, n in res["preloaded"].items())
        + f"); latency runs send 100 B records for {p['latency_s']:g} s after "
        f"{p['warmup_s']:g} s of warm-up. MB = 10⁶ bytes of record values.",
        "",
        "#### Throughput", "", *throughput_table(res), "",
        "#### Latency (acks=all, 100 B records, linger.ms=0)", "", *latency_table(res), "",
        "End-to-end latency includes up to ~1 ms that librdkafka's mock holds an empty "
        "Fetch (fetch.wait.max.ms=1) on every route. Run-to-run spread of the same route "
        "(a difference smaller than this is noise of the shared machine):",
        "", *noise_lines(res), "",
        "#### Proxy CPU per GB of record values forwarded", "", *cpu_table(res), "",
        "#### CPU seconds per GB along the whole path",
        "",
        "Client (the load generator), broker (the mock cluster process) and proxy, "
        "per GB of record values; machine busy counts both CPUs and every process on "
        "the machine. When the path is CPU-bound, a route can reach at most "
        "(direct's whole-path CPU ÷ its own) of direct's throughput: the ceiling "
        "column.",
        "", *path_table(res), "",
        "#### Memory (RSS)", "", *memory_rows(res), "",
        "#### Metadata for a 10,000-partition topic, every 100 ms, with 1k produce/s running",
        "",
        "A probe asks turnout for ApiVersions every 2 ms during each run; turnout answers it "
        "itself, so its answer time is turnout's event-loop delay. On the direct and haproxy "
        "rows the same load passes turnout by: the control.",
        "", *metadata_table(res), "",
        "#### Targets", "", *targets(res), "",
        "![throughput relative to direct; produce latency p50 and p99](bench/results/bench.png)"
        if res["mode"] == "full" else "",
    ]
    return "\n".join(lines) + "\n"


def chart(res, outdir):
    """bench.png: throughput relative to direct, and p99 produce latency."""
    tput = outdir / "throughput.dat"
    with open(tput, "w") as f:
        f.write("# workload turnout haproxy (throughput / direct's)\n")
        for w in workloads(res, "produce") + workloads(res, "consume"):
            d = med(res, w, "direct", "mb_s")
            vals = [ratio(med(res, w, r, "mb_s"), d) or 0 for r in ("turnout", "haproxy")]
            label = w.replace(" acks=", " acks=")
            f.write(f'"{label}" {vals[0]:.4f} {vals[1]:.4f}\n')
    lat = outdir / "latency.dat"
    with open(lat, "w") as f:
        f.write("# rate, then direct turnout haproxy produce p50, then the same at p99 (us)\n")
        for w in workloads(res, "latency"):
            vals = [med(res, w, r, f"produce_{p}_us") or 0 for p in ("p50", "p99")
                    for r in ROUTES]
            f.write(f'"{w.split()[1]}" ' + " ".join(f"{v:.0f}" for v in vals) + "\n")
    subprocess.run(["gnuplot", "-e", f"tput='{tput}'; lat='{lat}'; out='{outdir / 'bench.png'}'",
                    str(CHART)], check=True)


def update_readme(path, md):
    text = path.read_text()
    start, end = text.find(README_BEGIN), text.find(README_END)
    if start < 0 or end < start:
        raise RuntimeError(f"{path}: bench markers not found")
    path.write_text(text[:start + len(README_BEGIN)] + "\n" + md + text[end:])
