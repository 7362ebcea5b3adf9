#!/usr/bin/env python3
"""vmsg-bench throughput --quick as a smoke test: the run completes, prints a
row per frame size, writes JSON with every field and a PNG. Numbers are
printed, never asserted (speed is measured in the bench, not in tests)."""
import json
import os
import subprocess
import sys
import tempfile


def main():
    bench, card = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as d:
        js, png = os.path.join(d, "tp.json"), os.path.join(d, "tp.png")
        p = subprocess.run([bench, "throughput", "--quick", "--card", card, "--json", js,
                            "--png", png], capture_output=True, text=True, timeout=240)
        sys.stdout.write(p.stdout)
        sys.stderr.write(p.stderr)
        if p.returncode != 0:
            print(f"FAIL: vmsg-bench throughput exited {p.returncode}")
            return 1
        for size in ("64 B", "1518 B"):
            if not any(l.strip().startswith(size) for l in p.stdout.splitlines()):
                print(f"FAIL: no row for {size}")
                return 1
        if "--no-huge" not in p.stdout:
            print("FAIL: the output does not say which memory was used")
            return 1
        with open(js) as f:
            j = json.load(f)
        sizes = [r["frame_bytes"] for r in j["results"]]
        if sizes != [64, 1518]:
            print(f"FAIL: JSON sizes {sizes}")
            return 1
        for r in j["results"]:
            for side in ("vmsg", "vhost_user"):
                if not r[side]["mpps"] > 0 or not r[side]["gbps"] > 0:
                    print(f"FAIL: {side} {r['frame_bytes']} B: no rate")
                    return 1
            if set(r["estimate_link_bound_mpps"]) != {"Gen3 x4", "Gen4 x4"}:
                print("FAIL: estimates missing")
                return 1
        with open(png, "rb") as f:
            if f.read(8) != b"\x89PNG\r\n\x1a\n":
                print("FAIL: the plot is not a PNG")
                return 1
    print("throughput smoke: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
