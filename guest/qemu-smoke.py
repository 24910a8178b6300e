#!/usr/bin/env python3
"""Boot the guest images in QEMU (riscv64 `virt`) and drive the console non-interactively.

Checks: OpenSBI banner, kernel log, the "Typevisor guest ready" banner, a `~ # ` prompt with job
control, a few commands, `nproc` == the number of harts, and that `poweroff` makes QEMU exit.
Prints the time from QEMU's start to the shell prompt. Exit status 0 when every check passed.

Usage: guest/qemu-smoke.py [--smp N] [--append "console=ttyS0 ..."] [--memory 256M] [--log FILE]
"""
import argparse, gzip, os, pty, re, select, shutil, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
IMAGES = os.path.join(HERE, "images")
PROMPT = "~ # "


class Console:
    def __init__(self, argv, log):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
        os.close(slave)
        self.buf = ""
        self.seen = ""  # everything, for the log
        self.stalls = []
        self.log = log
        self.t0 = time.monotonic()

    def _read(self, timeout):
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:
            return None
        if not data:
            return None
        text = data.decode("utf-8", "replace").replace("\r", "")
        self.buf += text
        self.seen += text
        if self.log:
            self.log.write(text)
            self.log.flush()
        return True

    def expect(self, pattern, timeout):
        """Wait for regex `pattern`; consume the buffer up to the end of the match."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {pattern!r}; last output:\n{self.buf[-2000:]}")
            if self._read(min(left, 0.5)) is None:
                raise EOFError(f"QEMU exited while waiting for {pattern!r}; last output:\n{self.buf[-2000:]}")

    def send(self, line):
        os.write(self.master, (line + "\n").encode())

    def run(self, cmd, timeout=30):
        """Run a shell command, return its output (between the echoed command and the next prompt).

        If the console falls silent before the prompt appears, send one empty line to see whether
        output was merely stuck (recorded in self.stalls, reported as a warning) before giving up."""
        self.buf = ""
        self.send(cmd)
        self.expect(re.escape(cmd) + r"\n", timeout)
        try:
            m = self.expect(r"([\s\S]*?)" + re.escape(PROMPT), timeout)
        except TimeoutError:
            stuck = self.buf
            self.send("")
            m = self.expect(r"([\s\S]*?)" + re.escape(PROMPT), 10)
            self.stalls.append(f"{cmd!r}: no prompt for {timeout}s (output so far {stuck!r}); "
                               f"an empty line brought {m.group(0)!r}")
        return m.group(1)

    def wait_exit(self, timeout):
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.2)
        while self._read(0.05):
            pass
        return self.proc.poll()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--memory", default="256M")
    ap.add_argument("--append", default="console=ttyS0")
    ap.add_argument("--cpu", help="QEMU -cpu model, e.g. rv64,h=false,sstc=false,Zihintpause=false")
    ap.add_argument("--log", help="write the whole console transcript here")
    ap.add_argument("--timeout", type=float, default=120, help="seconds allowed to reach the prompt")
    ap.add_argument("--qemu", default=shutil.which("qemu-system-riscv64") or "qemu-system-riscv64")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="typevisor-qemu-")
    image = os.path.join(tmp, "Image")
    with gzip.open(os.path.join(IMAGES, "Image.gz")) as src, open(image, "wb") as dst:
        shutil.copyfileobj(src, dst)
    argv = [args.qemu, "-M", "virt", "-m", args.memory, "-smp", str(args.smp), "-nographic",
            "-bios", os.path.join(IMAGES, "fw_dynamic.bin"), "-kernel", image,
            "-initrd", os.path.join(IMAGES, "initramfs.cpio"), "-append", args.append]
    if args.cpu:
        argv[3:3] = ["-cpu", args.cpu]
    print("+ " + " ".join(a if " " not in a else repr(a) for a in argv), flush=True)
    log = open(args.log, "w") if args.log else None
    con = Console(argv, log)
    failures = []

    def check(name, ok, detail=""):
        print(f"{'ok  ' if ok else 'FAIL'} {name}{(': ' + detail) if detail else ''}", flush=True)
        if not ok:
            failures.append(name)

    try:
        con.expect(r"OpenSBI v\d", 30)
        t_sbi = time.monotonic() - con.t0
        con.expect(r"Linux version \S+", 60)
        t_linux = time.monotonic() - con.t0
        con.expect(r"Typevisor guest ready", args.timeout)
        con.expect(re.escape(PROMPT), 30)
        t_prompt = time.monotonic() - con.t0
        check("boot to prompt", True, f"OpenSBI banner {t_sbi:.2f}s, 'Linux version' {t_linux:.2f}s, prompt {t_prompt:.2f}s")
        check("job control", "job control turned off" not in con.seen and "can't access tty" not in con.seen)
        if "earlycon=sbi" in args.append:
            check("earlycon=sbi", "earlycon: sbi0 at I/O port" in con.seen or "bootconsole [sbi0] enabled" in con.seen)

        out = con.run("uname -m")
        check("uname -m", out.strip() == "riscv64", repr(out.strip()))
        out = con.run("cat /proc/cpuinfo")
        isa = re.findall(r"isa\s*:\s*(\S+)", out)
        mmu = re.findall(r"mmu\s*:\s*(\S+)", out)
        check("/proc/cpuinfo", len(isa) == args.smp, f"{len(isa)} hart(s), isa {sorted(set(isa))}, mmu {sorted(set(mmu))}")
        out = con.run("echo hi > /tmp/x; cat /tmp/x")
        check("tmpfs write/read", out.strip() == "hi", repr(out.strip()))
        t = time.monotonic()
        out = con.run("sleep 1; echo slept")
        dt = time.monotonic() - t
        check("sleep 1", out.strip() == "slept" and 0.9 <= dt < 10, f"{dt:.2f}s wall")
        out = con.run("nproc")
        check("nproc", out.strip() == str(args.smp), repr(out.strip()))
        out = con.run("hostname; tty; echo $PS1")
        check("hostname/tty/PS1", out.split() == ["typevisor", "/dev/ttyS0", "\\w", "\\$"], repr(out))
        con.run("sleep 100 &")
        out = con.run("jobs")
        out2 = con.run("kill %1; wait; echo done")
        check("background job", "Running" in out and "sleep 100" in out and "done" in out2, repr((out + out2).strip()))
        out = con.run("mount | cut -d' ' -f1-5")
        check("mounts", all(f" on {p} type " in out for p in ("/proc", "/sys", "/dev", "/tmp", "/run")), "")
        # (commands are kept shorter than the 80-column line the shell's line editor assumes)
        out = con.run("echo abc | sha256sum")
        out += con.run("seq 3 | awk '{s+=$1} END {print s}'")
        out += con.run("dd if=/dev/zero bs=1k count=64 2>/dev/null | gzip | wc -c")
        check("applets", out.split() == ["edeaaff3f1774ad2888673770c6d64097e391bc362d7d6fb34982ddf0efd18cb", "-", "6", "96"], repr(out))
        out = con.run("cat /proc/cmdline")
        check("cmdline", out.strip() == args.append, repr(out.strip()))

        con.buf = ""
        con.send("poweroff")
        t = time.monotonic()
        rc = con.wait_exit(30)
        check("poweroff exits QEMU", rc is not None, f"exit status {rc}, {time.monotonic() - t:.2f}s")
    except (TimeoutError, EOFError) as e:
        check("console dialogue", False, str(e))
    finally:
        if con.proc.poll() is None:
            con.proc.kill()
            con.proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    for st in con.stalls:
        print(f"WARN console stalled: {st}", flush=True)
    print(f"{len(failures)} failed" if failures else "all checks passed", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
