#!/usr/bin/env python3
"""Run the SMP guest tests on QEMU (riscv64 `virt`, multi-threaded TCG) with several harts.

Boots the bundled kernel and initramfs with -smp N for each N given, checks that `nproc` says N,
runs `smp-counters` and `smp-litmus` in the guest (with the arguments given) and powers off.
Prints the guest's output; exit status 0 when nproc was right and both tests passed for every N.

Usage: guest/smp-tests/qemu-check.py [--smp 1,2,4] [--initrd FILE] [--counters ARGS] [--litmus ARGS]
"""
import argparse, gzip, importlib.util, os, shutil, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
GUEST = os.path.dirname(HERE)
IMAGES = os.path.join(GUEST, "images")

# The pty console driver of guest/qemu-smoke.py.
_spec = importlib.util.spec_from_file_location("qemu_smoke", os.path.join(GUEST, "qemu-smoke.py"))
smoke = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(smoke)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smp", default="1,2,4", help="comma-separated hart counts")
    ap.add_argument("--memory", default="256M")
    ap.add_argument("--initrd", default=os.path.join(IMAGES, "initramfs.cpio"))
    ap.add_argument("--counters", default="", help="arguments for smp-counters, e.g. '-n 2000000'")
    ap.add_argument("--litmus", default="", help="arguments for smp-litmus, e.g. '-n 200000'")
    ap.add_argument("--timeout", type=float, default=600, help="seconds allowed for each test program")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="typevisor-smp-")
    image = os.path.join(tmp, "Image")
    with gzip.open(os.path.join(IMAGES, "Image.gz")) as src, open(image, "wb") as dst:
        shutil.copyfileobj(src, dst)
    failures = []
    for n in [int(x) for x in args.smp.split(",")]:
        argv = ["qemu-system-riscv64", "-M", "virt", "-m", args.memory, "-smp", str(n), "-nographic",
                "-bios", os.path.join(IMAGES, "fw_dynamic.bin"), "-kernel", image, "-initrd", args.initrd,
                "-append", "console=ttyS0"]
        print(f"== -smp {n}: " + " ".join(argv), flush=True)
        con = smoke.Console(argv, None)
        try:
            con.expect(r"Typevisor guest ready", 120)
            con.expect(r"~ # ", 30)
            nproc = con.run("nproc").strip()
            print(f"nproc: {nproc}", flush=True)
            if nproc != str(n):
                failures.append(f"-smp {n}: nproc said {nproc}")
            for name, extra in (("smp-counters", args.counters), ("smp-litmus", args.litmus)):
                cmd = f"{name} {extra}".strip()
                t0 = time.monotonic()
                out = con.run(cmd + "; echo status=$?", args.timeout)
                print(f"$ {cmd}   ({time.monotonic() - t0:.1f} s on the host)\n{out.rstrip()}", flush=True)
                if "status=0" not in out:
                    failures.append(f"-smp {n}: {cmd} failed")
            con.send("poweroff")
            if con.wait_exit(30) is None:
                con.proc.kill()
                failures.append(f"-smp {n}: QEMU did not exit after poweroff")
        except (TimeoutError, EOFError) as e:
            con.proc.kill()
            failures.append(f"-smp {n}: {e}")
    shutil.rmtree(tmp, ignore_errors=True)
    print("qemu-check: " + ("PASS" if not failures else "FAIL\n  " + "\n  ".join(failures)))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
